import type { AuthModule } from '../module';
import { PAGE_STYLESHEET_PATH } from './html-page';
import { defineRoute } from './route';

/** The one stylesheet of auth's pages (html-page.ts): served from auth, so the pages' CSP needs nothing inline. */
const PAGE_STYLESHEET = `body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222;line-height:1.4}
code{word-break:break-all;background:#f3f3f3;padding:.2rem .4rem}
label{display:block;font-weight:600;margin-bottom:.25rem}
small{display:block;color:#555;margin-bottom:.25rem}
input{width:100%;box-sizing:border-box;padding:.5rem;font:inherit}
button{padding:.5rem 1rem;font:inherit}
`;

/** What every page needs besides its own route: the stylesheet. */
export const pageAssetsModule: AuthModule = {
  name: 'page-assets',
  routes: [
    defineRoute({
      method: 'get',
      path: PAGE_STYLESHEET_PATH,
      summary: "The stylesheet of auth's pages",
      tags: ['Pages'],
      access: 'public',
      limit: 'staticPage',
      cacheControl: 'public, max-age=86400',
      responses: { 200: { description: 'CSS' } },
      handle({ res }) {
        res.type('text/css').send(PAGE_STYLESHEET);
      },
    }),
  ],
};

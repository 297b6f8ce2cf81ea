import { Marked } from 'marked';
import sanitizeHtml from 'sanitize-html';

// One parser instance with fixed options, independent of marked's global defaults.
const marked = new Marked({ gfm: true, breaks: false, async: false });

/**
 * The allowlist for rendered posts: text formatting, links, images, code, tables. No script,
 * style, iframe or form elements, no event handlers or style attributes, and only http(s) and
 * mailto URLs, so `javascript:` and `data:` links never survive.
 */
const SANITIZE_OPTIONS: sanitizeHtml.IOptions = {
  allowedTags: [
    'a', 'abbr', 'b', 'blockquote', 'br', 'code', 'del', 'em', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'hr', 'i',
    'img', 'li', 'ol', 'p', 'pre', 's', 'strong', 'sub', 'sup', 'table', 'tbody', 'td', 'th', 'thead', 'tr', 'ul',
  ],
  allowedAttributes: {
    a: ['href', 'title', 'rel'],
    img: ['src', 'alt', 'title'],
    code: ['class'],
    td: ['align'],
    th: ['align'],
  },
  allowedClasses: { code: [/^language-[a-z0-9+#-]+$/] },
  allowedSchemes: ['http', 'https', 'mailto'],
  allowedSchemesByTag: { img: ['http', 'https'] },
  allowProtocolRelative: false,
  disallowedTagsMode: 'discard',
  // Links written by authors must not pass on ranking or the opener.
  transformTags: {
    a: sanitizeHtml.simpleTransform('a', { rel: 'nofollow noopener noreferrer' }),
  },
};

/** Renders author Markdown to HTML that is safe to embed in pages and feeds. */
export function renderMarkdown(markdown: string): string {
  const html = marked.parse(markdown) as string;
  return sanitizeHtml(html, SANITIZE_OPTIONS).trim();
}

import { Router, type NextFunction, type Request, type Response } from 'express';
import { toErrorReport } from '@malet/errors';
import { contentErrors } from '../domain/content.errors';
import type { FeedSink } from '../domain/feeds/feed-sink';
import type { FeedRequest, FeedService } from '../domain/feeds/feed.service';
import { escapeXml } from '../domain/feeds/xml';
import { HANDLE_MAX_LENGTH } from '../domain/handle';
import { isNotModified } from './conditional';

/**
 * Feeds are public and cacheable, but every cache must revalidate: an unpublished post has to
 * leave shared caches at once, and revalidation is cheap (a 304 from the validators alone).
 */
const CACHE_CONTROL = 'public, max-age=0, must-revalidate';
const XML_ERROR_TYPE = 'application/xml; charset=utf-8';
const PART_PATTERN = /^[1-9][0-9]{0,5}$/;
// Looser than a registrable handle: reserved words may already exist, and upper case redirects.
const HANDLE_IN_PATH = new RegExp(`^[A-Za-z0-9-]{1,${HANDLE_MAX_LENGTH}}$`);

/** Resolves when the socket takes more data, or when the client is gone (then `closed` says so). */
function drainedOrClosed(res: Response): Promise<void> {
  return new Promise((resolve) => {
    const settle = () => {
      res.off('drain', settle);
      res.off('close', settle);
      resolve();
    };
    res.on('drain', settle);
    res.on('close', settle);
  });
}

/** A response as a FeedSink: writes wait for `drain`, and a gone client stops generation. */
function responseSink(res: Response): FeedSink {
  return {
    get closed() {
      return res.destroyed || res.writableEnded;
    },
    async write(chunk: string) {
      if (res.destroyed) return;
      if (!res.write(chunk)) await drainedOrClosed(res);
    },
  };
}

function parsePart(raw: string): number {
  // `-1` is the unnumbered file; only 2 and up have a number in their name.
  if (!PART_PATTERN.test(raw) || raw === '1') throw contentErrors.sitemapPartNotFound();
  return Number(raw);
}

/**
 * Validates a handle from the path. Malformed handles are a 400; a handle in the wrong case is
 * redirected to its canonical lower-case URL, so crawlers index one URL per feed.
 */
function readHandle(req: Request, res: Response): string | null {
  const raw = String(req.params.handle ?? '');
  if (!HANDLE_IN_PATH.test(raw)) {
    throw contentErrors.handleMalformed();
  }
  const handle = raw.toLowerCase();
  if (handle !== raw) {
    res.redirect(301, req.originalUrl.replace(`/m/${raw}/`, `/m/${handle}/`));
    return null;
  }
  return handle;
}

/** XML errors for XML clients: crawlers get the status and a small document, never HTML or a stack. */
function writeXmlError(production: boolean) {
  return function writeFeedError(error: unknown, req: Request, res: Response, _next: NextFunction) {
    const report = toErrorReport(error, { production });
    if (report.errorId) req.log.error({ err: error, errorId: report.errorId }, 'unexpected feed error');
    if (res.headersSent) {
      // Mid-stream failure: cut the connection so the client sees a truncated, invalid document.
      res.destroy();
      return;
    }
    const details = report.body.details ? `<details>${escapeXml(report.body.details)}</details>` : '';
    const errorId = report.body.error_id ? `<error_id>${escapeXml(report.body.error_id)}</error_id>` : '';
    res
      .status(report.status)
      .set(report.headers)
      .set('Cache-Control', 'no-store')
      .type(XML_ERROR_TYPE)
      // end(), not send(): an error document gets no entity tag.
      .end(
        `<?xml version="1.0" encoding="UTF-8"?>\n<error><status>${report.status}</status><code>${escapeXml(report.body.code)}</code>${details}${errorId}</error>\n`,
      );
  };
}

/**
 * The crawler feeds at the public paths of seed 000, always as identity bodies: the gateway, the
 * public edge, negotiates gzip or br and derives the coded ETags from these
 * (gateway/src/proxy/response-compression.ts).
 */
export function feedRoutes(deps: { feeds: FeedService; production: boolean }): Router {
  const router = Router();

  const serve = (toRequest: (req: Request, res: Response) => FeedRequest | null) =>
    async function serveFeed(req: Request, res: Response) {
      const request = toRequest(req, res);
      if (!request) return;
      const feed = await deps.feeds.prepare(request);
      res.set({
        'Content-Type': feed.contentType,
        'Cache-Control': CACHE_CONTROL,
        ETag: feed.etag,
      });
      if (feed.lastModified) res.set('Last-Modified', feed.lastModified.toUTCString());
      if (isNotModified(req, feed)) {
        res.status(304).end();
        return;
      }
      if (req.method === 'HEAD') {
        res.status(200).end();
        return;
      }
      res.status(200);
      await feed.write(responseSink(res));
      res.end();
    };

  router.get('/sitemap.xml', serve(() => ({ kind: 'sitemap-index' })));
  router.get('/sitemap-malets.xml', serve(() => ({ kind: 'sitemap-malets', part: 1 })));
  router.get('/sitemap-malets-:part.xml', serve((req) => ({ kind: 'sitemap-malets', part: parsePart(String(req.params.part)) })));
  router.get('/sitemap-blogs.xml', serve(() => ({ kind: 'sitemap-blogs', part: 1 })));
  router.get('/sitemap-blogs-:part.xml', serve((req) => ({ kind: 'sitemap-blogs', part: parsePart(String(req.params.part)) })));
  router.get(
    '/sitemap/m/:handle/blogs.xml',
    serve((req, res) => {
      const handle = readHandle(req, res);
      return handle ? { kind: 'malet-blog-sitemap', handle } : null;
    }),
  );
  router.get(
    '/sitemap/m/:handle/blogs-:part.xml',
    serve((req, res) => {
      if (!PART_PATTERN.test(String(req.params.part))) throw contentErrors.sitemapPartNotFound();
      const handle = readHandle(req, res);
      return handle ? { kind: 'malet-blog-sitemap', handle, part: Number(req.params.part) } : null;
    }),
  );
  router.get(
    '/rss/m/:handle/blogs.xml',
    serve((req, res) => {
      const handle = readHandle(req, res);
      return handle ? { kind: 'malet-rss', handle } : null;
    }),
  );

  // Anything else under the feed paths is an XML 404, not the JSON one of the API routes.
  router.use(['/rss', '/sitemap', /^\/sitemap[^/]*\.xml$/], function feedNotFound(_req: Request, _res: Response, next: NextFunction) {
    next(contentErrors.feedNotFound());
  });
  router.use(['/rss', '/sitemap', /^\/sitemap[^/]*\.xml$/], writeXmlError(deps.production));
  return router;
}

import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { Transform } from 'node:stream';
import { constants, createBrotliCompress, createGzip } from 'node:zlib';
import type { Request, Response } from 'express';
import { LRUCache } from 'lru-cache';

/**
 * Streaming coders. On equal weights the client's order decides; this order only breaks `*`,
 * where gzip is the safe guess. Brotli at quality 4 costs about what gzip's default level 6
 * does and sends fewer bytes; Node's default quality (11) is meant for files compressed once
 * and would cost seconds per large sitemap.
 */
const CODERS = {
  gzip: () => createGzip(),
  br: () =>
    createBrotliCompress({
      params: { [constants.BROTLI_PARAM_QUALITY]: 4, [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT },
    }),
} satisfies Record<string, () => Transform>;

type Coding = keyof typeof CODERS;
const CODINGS = Object.keys(CODERS) as Coding[];

/** A coded representation's entity tag ends in `-<coding>` inside the quotes. */
const CODING_SUFFIX = new RegExp(`-(?:${CODINGS.join('|')})"`, 'g');
const COMPRESSIBLE = /^(?:text\/|application\/(?:[\w.-]+\+)?(?:xml|json)\b)/i;

/**
 * Content coding of proxied responses, done once at the public edge.
 *
 * Why the gateway and not the service: every public client arrives here, so one implementation
 * covers every feed (and any proxied route that opts in) with one set of rules for
 * negotiation, `Vary` and validators, instead of each service growing its own. Behind the
 * gateway the body crosses loopback or the cluster network, where bytes are cheap and coding
 * would only spend the service's CPU. A client that calls the service directly (operators,
 * the bench) gets identity, which every client accepts.
 *
 * Contract with the upstream:
 * - The upstream is asked for, and must send, the identity body (`Accept-Encoding: identity`);
 *   what it sends already coded passes through untouched.
 * - The upstream's entity tag names the identity body. A coded response carries
 *   `W/"<tag>-gzip"` (or `-br`): a tag of its own, so caches holding both variants (told apart
 *   by `Vary: Accept-Encoding`, sent on every response) update the right one on a 304, and weak
 *   because zlib's output depends on how the input arrived in chunks, so equal documents need
 *   not be equal bytes, which a strong tag would promise (RFC 9110 8.8.1).
 * - `If-None-Match` naming a coded tag reaches the upstream as the identity tag (the upstream
 *   compares weakly, as RFC 9110 13.1.2 requires), so a client holding either form of an
 *   unchanged feed gets its 304, carrying the tag of the coding this request negotiated.
 *   `Last-Modified` and `If-Modified-Since` pass through: they do not depend on the coding.
 * - Coded responses lose the identity `Content-Length`; Node sends them chunked. HEAD gets the
 *   headers a GET would, without a body. Only 200 bodies are coded; a 304 gets the coded tag
 *   and nothing else; errors and redirects go out as the upstream sent them (plus `Vary`).
 *
 * The body streams through the coder with back-pressure end to end, never buffered whole.
 */
export function createResponseCompression(options: { cacheBytes?: number; largestCachedBytes?: number } = {}) {
  const coded = createCodedBodyCache(options.cacheBytes ?? 32 * 2 ** 20, options.largestCachedBytes ?? 2 ** 20);

  function negotiate(req: Request): Coding | null {
    // No header: identity. RFC 9110 12.5.3 would allow any coding, but a client that sends none
    // (curl without --compressed) usually cannot decode one.
    if (!req.headers['accept-encoding']) return null;
    const accepted = req.acceptsEncodings(...CODINGS);
    return accepted === false ? null : (accepted as Coding);
  }

  return {
    /**
     * Adjusts the headers the upstream receives: identity only, validators in identity form.
     * When this gateway holds a coded body of the URL and the client sent no validator of its
     * own, the upstream is asked whether that body is still current (If-None-Match with its
     * identity tag): a 304 then costs it no body and the gateway no coding (see encoderFor).
     */
    forwardRequestHeaders(req: Request, res: Response, headers: OutgoingHttpHeaders): void {
      headers['accept-encoding'] = 'identity';
      const ifNoneMatch = headers['if-none-match'];
      if (typeof ifNoneMatch === 'string') headers['if-none-match'] = ifNoneMatch.replace(CODING_SUFFIX, '"');
      const coding = req.method === 'GET' ? negotiate(req) : null;
      const held = coding && ifNoneMatch === undefined && headers['if-modified-since'] === undefined ? coded.latest(coding, req.originalUrl) : undefined;
      if (held) {
        headers['if-none-match'] = held.identityTag;
        res.locals.revalidating = held;
      }
    },

    /**
     * Sets the coded representation's headers on `res` (the upstream's are already copied) and
     * returns the coder the body must flow through, or null to send the body as it came.
     */
    encoderFor(req: Request, res: Response, upstream: IncomingMessage): Transform | null {
      res.vary('Accept-Encoding');
      const coding = negotiate(req);
      const status = upstream.statusCode;
      if (
        !coding ||
        (status !== 200 && status !== 304) ||
        upstream.headers['content-encoding'] !== undefined ||
        !COMPRESSIBLE.test(upstream.headers['content-type'] ?? '') ||
        /\bno-transform\b/i.test(upstream.headers['cache-control'] ?? '')
      ) {
        return null;
      }
      const etag = upstream.headers.etag;
      if (etag?.endsWith('"')) res.setHeader('ETag', codedTag(etag, coding));
      const revalidated = res.locals.revalidating as CodedBody | undefined;
      if (status === 304) {
        // Our own question (the client asked unconditionally): the body we hold is current.
        return revalidated ? replay(res, revalidated, upstream) : null;
      }
      const cacheable = req.method === 'GET' && etag?.endsWith('"') && !/\b(?:no-store|private)\b/i.test(upstream.headers['cache-control'] ?? '');
      const held = cacheable ? coded.find(coding, req.originalUrl, etag!) : undefined;
      if (held) return replay(res, held, upstream);
      res.setHeader('Content-Encoding', coding);
      res.removeHeader('Content-Length');
      if (req.method === 'HEAD') return null;
      const coder = CODERS[coding]();
      if (cacheable) coded.collect(coder, { coding, url: req.originalUrl, identityTag: etag!, headers: representationHeaders(res) });
      return coder;
    },
  };
}

export type ResponseCompression = ReturnType<typeof createResponseCompression>;

/** Headers that describe the representation itself; per-exchange ones (request id, date) are never replayed. */
const REPRESENTATION_HEADERS = ['content-type', 'content-encoding', 'content-language', 'etag', 'vary', 'cache-control', 'last-modified', 'expires'];

function representationHeaders(res: Response): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {};
  for (const name of REPRESENTATION_HEADERS) {
    const value = res.getHeader(name);
    if (value !== undefined) headers[name] = value;
  }
  return headers;
}

const codedTag = (etag: string, coding: Coding) => `W/${etag.replace(/^W\//, '').slice(0, -1)}-${coding}"`;

/** A coded representation kept by the gateway: the bytes, and the headers it went out with. */
interface CodedBody {
  coding: Coding;
  url: string;
  /** The upstream's tag of the identity body these bytes encode. */
  identityTag: string;
  headers: OutgoingHttpHeaders;
  body: Buffer;
}

/**
 * Coded feed bodies by URL, coding and the upstream's entity tag: a warm feed is coded once,
 * not on every request. The tag names the identity body (see the contract above), so equal
 * tags mean equal documents and the same coded bytes are a correct answer; a feed that changes
 * gets a new tag and is coded afresh. Bodies larger than `largest` (big sitemap parts) stream
 * through uncached; the whole cache is bounded by `maxBytes`.
 */
function createCodedBodyCache(maxBytes: number, largest: number) {
  const bodies = new LRUCache<string, CodedBody>({ maxSize: maxBytes, sizeCalculation: (entry) => entry.body.length + 512 });
  const key = (coding: Coding, url: string, tag: string) => `${coding} ${tag} ${url}`;
  /** The newest tag seen per coding and URL, for revalidation. */
  const newest = new LRUCache<string, string>({ max: 10_000 });

  return {
    find: (coding: Coding, url: string, tag: string) => bodies.get(key(coding, url, tag)),
    latest(coding: Coding, url: string): CodedBody | undefined {
      const tag = newest.get(`${coding} ${url}`);
      return tag ? bodies.get(key(coding, url, tag)) : undefined;
    },
    /** Keeps what `coder` outputs once it has coded the whole body, if it is small enough. */
    collect(coder: Transform, entry: Omit<CodedBody, 'body'>): void {
      const chunks: Buffer[] = [];
      let size = 0;
      coder.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= largest) chunks.push(chunk);
      });
      coder.once('end', () => {
        if (size > largest) return;
        bodies.set(key(entry.coding, entry.url, entry.identityTag), { ...entry, body: Buffer.concat(chunks) });
        newest.set(`${entry.coding} ${entry.url}`, entry.identityTag);
      });
    },
  };
}

/**
 * Answers with a held coded body: 200, its headers (refreshed by what the upstream just sent
 * about freshness), its bytes. The upstream body, if any, is read and dropped.
 */
function replay(res: Response, held: CodedBody, upstream: IncomingMessage): Transform {
  res.status(200);
  for (const [name, value] of Object.entries(held.headers)) if (value !== undefined) res.setHeader(name, value);
  for (const name of ['cache-control', 'expires', 'last-modified', 'date']) {
    const value = upstream.headers[name];
    if (value !== undefined) res.setHeader(name, value);
  }
  res.setHeader('Content-Length', held.body.length);
  const replacement = new Transform({
    transform: (_chunk, _encoding, done) => done(),
  });
  replacement.push(held.body);
  return replacement;
}

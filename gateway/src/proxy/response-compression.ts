import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { Transform } from 'node:stream';
import { constants, createBrotliCompress, createGzip } from 'node:zlib';
import type { Request, Response } from 'express';

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
export function createResponseCompression() {
  function negotiate(req: Request): Coding | null {
    // No header: identity. RFC 9110 12.5.3 would allow any coding, but a client that sends none
    // (curl without --compressed) usually cannot decode one.
    if (!req.headers['accept-encoding']) return null;
    const accepted = req.acceptsEncodings(...CODINGS);
    return accepted === false ? null : (accepted as Coding);
  }

  return {
    /** Adjusts the headers the upstream receives: identity only, validators in identity form. */
    forwardRequestHeaders(headers: OutgoingHttpHeaders): void {
      headers['accept-encoding'] = 'identity';
      const ifNoneMatch = headers['if-none-match'];
      if (typeof ifNoneMatch === 'string') headers['if-none-match'] = ifNoneMatch.replace(CODING_SUFFIX, '"');
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
      if (etag?.endsWith('"')) res.setHeader('ETag', `W/${etag.replace(/^W\//, '').slice(0, -1)}-${coding}"`);
      if (status === 304) return null;
      res.setHeader('Content-Encoding', coding);
      res.removeHeader('Content-Length');
      return req.method === 'HEAD' ? null : CODERS[coding]();
    },
  };
}

export type ResponseCompression = ReturnType<typeof createResponseCompression>;

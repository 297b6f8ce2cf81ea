import { request, type IncomingHttpHeaders } from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedBulkContent } from '@malet/content-feed/bulk-content-seed';
import { SITEINDEX_XSD, SITEMAP_XSD, expectValidRss, xmllint, xpath } from '@malet/testing';
import { startGatewayTestInstance, type GatewayTestInstance } from './gateway-test-instance';

const PUBLIC_BASE_URL = 'http://localhost:30000';
// One URL past a sitemap file's limit (50,000): `blogs-1.xml` is a full-size part.
const BIG_POSTS = 50_001;
const RSS = '/rss/m/small-1/blogs.xml';

let suite: GatewayTestInstance;

beforeAll(async () => {
  suite = await startGatewayTestInstance({ env: { 'content-feed': { PUBLIC_BASE_URL } } });
  const pool = new pg.Pool({ connectionString: suite.databaseUrls['content-feed'], max: 1 });
  try {
    await seedBulkContent(pool, { malets: 1, postsPerMalet: 3, draftsPerMalet: 1, prefix: 'small' });
    await seedBulkContent(pool, { malets: 1, postsPerMalet: BIG_POSTS, prefix: 'big' });
  } finally {
    await pool.end();
  }
}, 180_000);
afterAll(() => suite?.stop());

interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The bytes on the wire, still coded. */
  raw: Buffer;
}

/** node:http, not fetch: fetch asks for gzip on its own and decodes behind our back. */
function send(path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const outgoing = request(`${suite.gatewayUrl}${path}`, { method, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, raw: Buffer.concat(chunks) }));
      response.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

/** The body as the client reads it, decoded as its Content-Encoding says. */
function decoded(response: RawResponse): string {
  const coding = response.headers['content-encoding'];
  if (coding === undefined) return response.raw.toString('utf8');
  if (coding === 'gzip') return gunzipSync(response.raw).toString('utf8');
  if (coding === 'br') return brotliDecompressSync(response.raw).toString('utf8');
  throw new Error(`unexpected Content-Encoding ${coding}`);
}

const GZIP = { 'accept-encoding': 'gzip, deflate' };
const IDENTITY = { 'accept-encoding': 'identity' };
const urlCount = (xml: string) => xml.split('<url>').length - 1;

/** The tag a coded representation gets from the identity tag `"x"`: `W/"x-<coding>"`. */
const codedTag = (identityTag: string, coding: string) => `W/${identityTag.slice(0, -1)}-${coding}"`;

function expectVaryAcceptEncoding(response: RawResponse) {
  expect(String(response.headers.vary).toLowerCase()).toContain('accept-encoding');
}

describe('content coding of the crawler feeds at the gateway', () => {
  it('sends gzip to a client that accepts it; the decoded feed is the identity feed, byte for byte, and schema-valid', async () => {
    const feeds: [string, string | null][] = [
      ['/sitemap.xml', SITEINDEX_XSD],
      ['/sitemap-malets.xml', SITEMAP_XSD],
      ['/sitemap-blogs-2.xml', SITEMAP_XSD],
      ['/sitemap/m/small-1/blogs.xml', SITEMAP_XSD],
      ['/sitemap/m/big-1/blogs.xml', SITEINDEX_XSD],
      [RSS, null],
    ];
    for (const [path, schema] of feeds) {
      const gzip = await send(path, GZIP);
      const identity = await send(path, IDENTITY);
      expect(gzip.status, path).toBe(200);
      expect(gzip.headers['content-encoding'], path).toBe('gzip');
      expect(gzip.headers['content-length'], path).toBeUndefined();
      expect(gzip.headers['content-type']).toBe(identity.headers['content-type']);
      expectVaryAcceptEncoding(gzip);
      expect(identity.status, path).toBe(200);
      expect(identity.headers['content-encoding'], path).toBeUndefined();
      expectVaryAcceptEncoding(identity);

      const body = decoded(gzip);
      expect(body, path).toBe(identity.raw.toString('utf8'));
      if (schema) {
        const lint = await xmllint(body, schema);
        expect(lint.ok, `${path}: ${lint.output}`).toBe(true);
      } else {
        await expectValidRss(body, `${PUBLIC_BASE_URL}${path}`);
      }
    }
  });

  it('sends identity when Accept-Encoding is missing, identity only, or refuses gzip', async () => {
    for (const headers of [{}, IDENTITY, { 'accept-encoding': 'gzip;q=0, deflate' }]) {
      const response = await send(RSS, headers);
      expect(response.status).toBe(200);
      expect(response.headers['content-encoding'], JSON.stringify(headers)).toBeUndefined();
      expect(response.headers.etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
      expectVaryAcceptEncoding(response);
      await expectValidRss(decoded(response), `${PUBLIC_BASE_URL}${RSS}`);
    }
  });

  it('sends br to a client that prefers it, with a tag of its own', async () => {
    const identity = await send(RSS, IDENTITY);
    const br = await send(RSS, { 'accept-encoding': 'br, gzip' });
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers.etag).toBe(codedTag(identity.headers.etag!, 'br'));
    expect(decoded(br)).toBe(identity.raw.toString('utf8'));
  });

  it('compresses a full-size sitemap part as it streams: all 50,000 URLs decoded, a fraction of the bytes', async () => {
    const path = '/sitemap/m/big-1/blogs-1.xml';
    const gzip = await send(path, GZIP);
    const identity = await send(path, IDENTITY);
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect(gzip.headers['transfer-encoding']).toBe('chunked');
    const body = decoded(gzip);
    expect(urlCount(body)).toBe(50_000);
    expect(body).toBe(identity.raw.toString('utf8'));
    expect(gzip.raw.length).toBeLessThan(identity.raw.length / 4);
    const lint = await xmllint(body, SITEMAP_XSD);
    expect(lint.ok, lint.output.slice(0, 500)).toBe(true);

    const br = await send(path, { 'accept-encoding': 'br' });
    expect(br.headers['content-encoding']).toBe('br');
    expect(urlCount(decoded(br))).toBe(50_000);
  }, 120_000);

  it('answers conditional requests with 304 for either form of the tag, carrying the negotiated one', async () => {
    // Dates have one-second resolution: a feed changed within the last second is never 304 by date.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    for (const path of ['/sitemap.xml', '/sitemap/m/small-1/blogs.xml', RSS]) {
      const identity = await send(path, IDENTITY);
      const gzip = await send(path, GZIP);
      const identityTag = identity.headers.etag!;
      const gzipTag = gzip.headers.etag!;
      expect(identityTag).toMatch(/^"[A-Za-z0-9_-]+"$/);
      expect(gzipTag, path).toBe(codedTag(identityTag, 'gzip'));

      for (const tag of [gzipTag, identityTag, `"other", ${gzipTag}`]) {
        const notModified = await send(path, { ...GZIP, 'if-none-match': tag });
        expect(notModified.status, `${path} ${tag}`).toBe(304);
        expect(notModified.raw.length).toBe(0);
        expect(notModified.headers.etag).toBe(gzipTag);
        expectVaryAcceptEncoding(notModified);
      }
      const plain = await send(path, { ...IDENTITY, 'if-none-match': gzipTag });
      expect(plain.status, path).toBe(304);
      expect(plain.headers.etag).toBe(identityTag);

      const byDate = await send(path, { ...GZIP, 'if-modified-since': gzip.headers['last-modified']! });
      expect(byDate.status, path).toBe(304);
      expect(byDate.raw.length).toBe(0);

      const changed = await send(path, { ...GZIP, 'if-none-match': codedTag('"something-else"', 'gzip') });
      expect(changed.status, path).toBe(200);
      expect(changed.headers['content-encoding']).toBe('gzip');
      expect(decoded(changed)).toBe(identity.raw.toString('utf8'));
    }
  });

  it('codes a warm feed once: later requests get the held bytes after content-feed confirms them (304), and a changed feed is coded afresh', async () => {
    /** Responses content-feed answered 304, from its own Prometheus counters: the real signal of a body it did not send. */
    const upstreamNotModified = async () => {
      const text = await (await fetch(`${suite.urls['content-feed']}/metrics`)).text();
      return text
        .split('\n')
        .filter((line) => line.startsWith('http_server_request_duration_seconds_count{') && line.includes('status_code="304"'))
        .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
    };
    const first = await send(RSS, GZIP);
    expect(first.status).toBe(200);
    const before = await upstreamNotModified();
    const second = await send(RSS, GZIP);
    expect(second.status).toBe(200);
    expect(second.headers['content-encoding']).toBe('gzip');
    expect(second.headers.etag).toBe(first.headers.etag);
    expect(Number(second.headers['content-length'])).toBe(second.raw.length);
    expect(second.raw.equals(first.raw)).toBe(true);
    expect(second.headers['x-request-id']).not.toBe(first.headers['x-request-id']);
    expect(await upstreamNotModified()).toBe(before + 1);

    // A new post: content-feed's tag changes, so the held body is no longer current.
    const pool = new pg.Pool({ connectionString: suite.databaseUrls['content-feed'], max: 1 });
    try {
      await pool.query(
        `insert into blog_posts (malet_id, slug, title, body_markdown, body_html, author_id, status, published_at)
         select id, 'fresh-post', 'A fresh post', 'Fresh', '<p>Fresh</p>', owner_id, 'published', now() from malets where handle = 'small-1'`,
      );
      // What content-feed's own publishing path does with a post (see malet.repository.ts).
      await pool.query(`update malets set content_changed_at = clock_timestamp() where handle = 'small-1'`);
    } finally {
      await pool.end();
    }
    const changed = await send(RSS, GZIP);
    expect(changed.status).toBe(200);
    expect(changed.headers.etag).not.toBe(first.headers.etag);
    expect(decoded(changed)).toContain('A fresh post');
    expect(decoded(first)).not.toContain('A fresh post');
  });

  it('answers HEAD with the headers a GET would get, and no body', async () => {
    for (const path of ['/sitemap-blogs.xml', RSS]) {
      const get = await send(path, GZIP);
      const head = await send(path, GZIP, 'HEAD');
      expect(head.status).toBe(200);
      expect(head.raw.length).toBe(0);
      expect(head.headers['content-encoding']).toBe('gzip');
      expect(head.headers['content-length']).toBeUndefined();
      expect(head.headers.etag).toBe(get.headers.etag);
      expect(head.headers['last-modified']).toBe(get.headers['last-modified']);
      expectVaryAcceptEncoding(head);
      const plainHead = await send(path, IDENTITY, 'HEAD');
      expect(plainHead.headers['content-encoding']).toBeUndefined();
    }
  });

  it('keeps errors and redirects as content-feed sent them: status, XML type, no coding', async () => {
    const cases: [string, number][] = [
      ['/rss/m/no-such-malet/blogs.xml', 404],
      ['/sitemap/m/no-such-malet/blogs.xml', 404],
      ['/sitemap/m/small-1/blogs-2.xml', 404],
      ['/rss/m/bad%20handle/blogs.xml', 400],
    ];
    for (const [path, status] of cases) {
      const response = await send(path, GZIP);
      expect(response.status, path).toBe(status);
      expect(response.headers['content-type']).toBe('application/xml; charset=utf-8');
      expect(response.headers['content-encoding']).toBeUndefined();
      expectVaryAcceptEncoding(response);
      expect(await xpath(decoded(response), 'string(/error/status)')).toBe(String(status));
    }
    const redirect = await send('/rss/m/Small-1/blogs.xml', GZIP);
    expect(redirect.status).toBe(301);
    expect(redirect.headers.location).toBe(RSS);
  });
});

import type { Request } from 'express';
import { describe, expect, it } from 'vitest';
import { xmllint } from '@malet/testing';
import { decodeCursor, encodeCursor } from '../src/domain/cursor';
import { cdata, escapeXml, rfc822Date, w3cDatetime } from '../src/domain/feeds/xml';
import { ascendingBatches, descendingBatches, sitemapParts } from '../src/domain/feeds/sitemap';
import { handleProblem, normalizeHandle } from '../src/domain/handle';
import { renderMarkdown } from '../src/domain/markdown';
import { isSlug, slugFromTitle } from '../src/domain/slug';
import { isNotModified } from '../src/routes/conditional';

describe('handles', () => {
  it('accepts URL-safe lower-case handles and refuses the rest, case-insensitively', () => {
    expect(normalizeHandle('My-Coffee-Shop')).toBe('my-coffee-shop');
    for (const bad of ['ab', 'a'.repeat(41), '-x-y', 'x-y-', 'a--b', 'a_b', 'café', 'a b', '../x', '']) {
      expect(normalizeHandle(bad), bad).toBeNull();
      expect(handleProblem(bad), bad).toBe('format');
    }
    expect(handleProblem('abc')).toBeNull();
    expect(handleProblem('a'.repeat(40))).toBeNull();
    for (const reserved of ['admin', 'api', 'graphql', 'sitemap', 'rss', 'www']) expect(handleProblem(reserved)).toBe('reserved');
  });
});

describe('slugs', () => {
  it('derives URL-safe slugs from any title', () => {
    expect(slugFromTitle('Crème brûlée & co.')).toBe('creme-brulee-co');
    expect(slugFromTitle('😀😀')).toBe('post');
    expect(slugFromTitle('مرحبا')).toBe('post');
    expect(isSlug(slugFromTitle('x'.repeat(500)))).toBe(true);
    expect(isSlug('Bad Slug')).toBe(false);
    expect(isSlug('a--b')).toBe(false);
  });
});

describe('cursors', () => {
  it('round-trips a position and refuses anything it did not make', () => {
    const position = { at: new Date('2026-01-02T03:04:05.678Z'), id: '3f0c1d4e-8a5b-4c2d-9e1f-0a1b2c3d4e5f' };
    expect(decodeCursor(encodeCursor(position))).toEqual(position);
    for (const bad of ['', 'x', Buffer.from('{}').toString('base64url'), Buffer.from('["2026-01-01","not-a-uuid"]').toString('base64url')]) {
      expect(() => decodeCursor(bad)).toThrow(/cursor/i);
    }
  });
});

describe('XML writing', () => {
  it('escapes markup and drops characters XML 1.0 cannot carry, so any text yields a well-formed document', async () => {
    const hostile = `<a href="x">&'"</a> \u0000\u0001\u0008\u000b\u001f\ufffe\ud800 😀 مرحبا \u202e ok`;
    const xml = `<?xml version="1.0" encoding="UTF-8"?><r a="${escapeXml(hostile)}"><t>${escapeXml(hostile)}</t>${cdata(`x ]]> y ${hostile}`)}</r>`;
    expect((await xmllint(xml)).ok).toBe(true);
    expect(escapeXml('a & b < c > d " e \' f')).toBe('a &amp; b &lt; c &gt; d &quot; e &apos; f');
    expect(escapeXml('tab\tnew\nline')).toBe('tab\tnew\nline');
  });

  it('formats W3C datetimes and RFC 822 dates', () => {
    const date = new Date('2026-11-25T12:40:11.123Z');
    expect(w3cDatetime(date)).toBe('2026-11-25T12:40:11+00:00');
    expect(rfc822Date(date)).toBe('Wed, 25 Nov 2026 12:40:11 GMT');
  });
});

describe('Markdown', () => {
  it('renders to HTML without scripts, event handlers or script URLs', () => {
    const html = renderMarkdown(
      '# T\n\n<script>alert(1)</script>\n\n<img src="https://x.test/a.png" onerror="alert(1)">\n\n[a](javascript:alert(1)) [b](JAVASCRIPT:alert(1)) [c](data:text/html,x) [d](https://ok.test)\n\n<a href="vbscript:x" onclick="y">e</a><iframe src="https://x.test"></iframe><style>*{}</style><p style="x">p</p>',
    );
    expect(html).not.toMatch(/<script|<iframe|<style|onerror|onclick|style=|javascript:|vbscript:|data:/i);
    expect(html).toContain('<h1>T</h1>');
    expect(html).toContain('<a href="https://ok.test" rel="nofollow noopener noreferrer">d</a>');
  });
});

describe('sitemap paging', () => {
  it('counts numbered parts at 50,000 URLs per file', () => {
    expect(sitemapParts(0)).toBe(1);
    expect(sitemapParts(50_000)).toBe(1);
    expect(sitemapParts(50_001)).toBe(2);
    expect(sitemapParts(1_000_000)).toBe(20);
  });

  it('reads by keyset in bounded batches, ascending and descending, stopping at the total', async () => {
    const rows = Array.from({ length: 23 }, (_, i) => ({ seq: (i + 1) * 2 }));
    const limits: number[] = [];
    const up = async (from: number, limit: number) => {
      limits.push(limit);
      return rows.filter((row) => row.seq >= from).slice(0, limit);
    };
    const read: number[] = [];
    for await (const batch of ascendingBatches(up, { fromSeq: 5, total: 12, batchSize: 5 })) read.push(...batch.map((row) => row.seq));
    expect(read).toEqual(rows.slice(2, 14).map((row) => row.seq));
    expect(Math.max(...limits)).toBe(5);

    const down = async (before: number, limit: number) => rows.filter((row) => row.seq < before).reverse().slice(0, limit);
    const newest: number[] = [];
    for await (const batch of descendingBatches(down, { total: 100, batchSize: 4 })) newest.push(...batch.map((row) => row.seq));
    expect(newest).toEqual(rows.map((row) => row.seq).reverse());
  });
});

describe('conditional requests', () => {
  const request = (headers: Record<string, string>) => ({ headers }) as unknown as Request;
  const validators = { etag: '"abc"', lastModified: new Date('2026-01-01T00:00:00.500Z') };
  const now = Date.parse('2026-06-01T00:00:00Z');

  it('matches If-None-Match weakly, lists and *, and lets it win over If-Modified-Since', () => {
    expect(isNotModified(request({ 'if-none-match': '"abc"' }), validators, now)).toBe(true);
    expect(isNotModified(request({ 'if-none-match': '"x", W/"abc"' }), validators, now)).toBe(true);
    expect(isNotModified(request({ 'if-none-match': '*' }), validators, now)).toBe(true);
    expect(isNotModified(request({ 'if-none-match': '"x"', 'if-modified-since': 'Fri, 01 Jan 2027 00:00:00 GMT' }), validators, now)).toBe(false);
  });

  it('compares If-Modified-Since at one-second resolution, never trusting a date in the current second', () => {
    expect(isNotModified(request({ 'if-modified-since': 'Thu, 01 Jan 2026 00:00:00 GMT' }), validators, now)).toBe(true);
    expect(isNotModified(request({ 'if-modified-since': 'Wed, 31 Dec 2025 23:59:59 GMT' }), validators, now)).toBe(false);
    expect(isNotModified(request({ 'if-modified-since': 'garbage' }), validators, now)).toBe(false);
    const justChanged = { ...validators, lastModified: new Date(now - 200) };
    expect(isNotModified(request({ 'if-modified-since': new Date(now + 5_000).toUTCString() }), justChanged, now)).toBe(false);
  });
});

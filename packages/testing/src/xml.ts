import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import Parser from 'rss-parser';

const run = promisify(execFile);

/**
 * The sitemaps.org schemas: sitemap files from the `sitemap` package (it exports only its
 * package.json, so the schema is found next to that), index files from fixtures/.
 */
export const SITEMAP_XSD = join(dirname(createRequire(import.meta.url).resolve('sitemap/package.json')), 'schema/sitemap.xsd');
export const SITEINDEX_XSD = new URL('../fixtures/siteindex.xsd', import.meta.url).pathname;

async function withFile<T>(xml: string, use: (path: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'malet-xml-'));
  try {
    const path = join(dir, 'document.xml');
    await writeFile(path, xml);
    return await use(path);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Runs xmllint (libxml2) on a document: `schema` validates against an XSD, otherwise well-formedness only. */
export async function xmllint(xml: string, schema?: string): Promise<{ ok: boolean; output: string }> {
  return withFile(xml, async (path) => {
    const args = ['--noout', '--nonet', ...(schema ? ['--schema', schema] : []), path];
    try {
      const { stderr } = await run('xmllint', args, { maxBuffer: 64 * 1024 * 1024 });
      return { ok: true, output: stderr };
    } catch (error) {
      return { ok: false, output: String((error as { stderr?: string }).stderr ?? error) };
    }
  });
}

/** Evaluates an XPath expression with xmllint: an independent reader of what we emitted. */
export async function xpath(xml: string, expression: string): Promise<string> {
  return withFile(xml, async (path) => {
    try {
      const { stdout } = await run('xmllint', ['--nonet', '--xpath', expression, path], { maxBuffer: 64 * 1024 * 1024 });
      return stdout.trim();
    } catch (error) {
      // xmllint exits 10 when the expression selects nothing.
      if ((error as { code?: number }).code === 10) return '';
      throw error;
    }
  });
}

/** An independent RSS parser (rss-parser, on xml2js): what a feed reader would see. */
export const rssParser = new Parser();

export const RFC_822 = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} (GMT|[+-]\d{4})$/;
export const W3C_DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const SITEMAP_NS = 'http://www.sitemaps.org/schemas/sitemap/0.9';

export async function sitemapLocs(xml: string): Promise<string[]> {
  const text = await xpath(xml, `//*[local-name()='loc' and namespace-uri()='${SITEMAP_NS}']/text()`);
  return text ? text.split('\n').map((line) => line.trim()) : [];
}

/**
 * The checks a strict RSS validator (the W3C Feed Validation Service, RSS Advisory Board
 * profile) applies that an XML parser does not: required channel elements, the Atom self link
 * pointing at the feed itself, RFC 822 dates, absolute links, unique guids.
 * Asserts with node:assert, so the kit works under any runner (vitest reports the failure as usual).
 */
export async function expectValidRss(xml: string, feedUrl: string): Promise<void> {
  const wellFormed = await xmllint(xml);
  assert.ok(wellFormed.ok, `not well-formed XML: ${wellFormed.output}`);
  const channel = '/rss/channel';
  assert.equal(await xpath(xml, 'string(/rss/@version)'), '2.0');
  assert.equal(await xpath(xml, 'count(/rss/channel)'), '1');
  for (const element of ['title', 'link', 'description']) {
    assert.ok((await xpath(xml, `string(${channel}/${element})`)).length > 0, `channel ${element} is empty`);
  }
  assert.match(await xpath(xml, `string(${channel}/link)`), /^https?:\/\//);
  const atom = `${channel}/*[local-name()='link' and namespace-uri()='http://www.w3.org/2005/Atom']`;
  assert.equal(await xpath(xml, `string(${atom}/@rel)`), 'self');
  assert.equal(await xpath(xml, `string(${atom}/@href)`), feedUrl);
  assert.equal(await xpath(xml, `string(${atom}/@type)`), 'application/rss+xml');
  const dates = (await xpath(xml, '//pubDate/text() | //lastBuildDate/text()')).split('\n').filter(Boolean);
  assert.ok(dates.length > 0, 'no pubDate or lastBuildDate');
  for (const date of dates) assert.match(date.trim(), RFC_822);
  const items = Number(await xpath(xml, 'count(//item)'));
  for (let i = 1; i <= items; i++) {
    assert.match(await xpath(xml, `string(//item[${i}]/link)`), /^https?:\/\//);
    assert.ok((await xpath(xml, `string(//item[${i}]/title)`)).length > 0, `item ${i} has no title`);
    assert.ok((await xpath(xml, `string(//item[${i}]/guid)`)).length > 0, `item ${i} has no guid`);
  }
  const guids = (await xpath(xml, '//item/guid/text()')).split('\n').filter(Boolean);
  assert.equal(new Set(guids).size, guids.length, 'guids are not unique');
}

/**
 * What the first hosted page costs a visitor: `/auth/ui/sign-in` loaded in real Chromium with
 * an empty cache, every response's bytes on the wire (headers and body, as served by auth
 * without compression), and what gzip would make of the bodies. Not a speed figure: a size.
 */
import { gzipSync } from 'node:zlib';
import { launchChromium } from '@malet/testing';
import { startBenchAuth } from './auth-instance';
import type { BenchSection } from './lib';

export async function run(): Promise<BenchSection> {
  const instance = await startBenchAuth({ name: 'bench_pages', mailer: { async send() {} } });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const loaded: { url: string; bytes: number; gzip: number }[] = [];
    page.on('requestfinished', async (request) => {
      const response = await request.response();
      const sizes = await request.sizes();
      const body = response ? await response.body().catch(() => Buffer.alloc(0)) : Buffer.alloc(0);
      loaded.push({ url: new URL(request.url()).pathname, bytes: sizes.responseHeadersSize + sizes.responseBodySize, gzip: gzipSync(body).length });
    });
    // Chromium reaches auth at localhost (the pages' RP ID), like a visitor would.
    await page.goto(`${instance.url.replace('127.0.0.1', 'localhost')}/auth/ui/sign-in`, { waitUntil: 'networkidle' });
    const documents = loaded.filter((item) => !item.url.endsWith('/auth/passkey/login/start'));
    const total = documents.reduce((sum, item) => sum + item.bytes, 0);
    const gzip = documents.reduce((sum, item) => sum + item.gzip, 0);
    return {
      title: 'First hosted page: /auth/ui/sign-in, empty cache, Chromium',
      rows: [
        ...documents.map((item) => ({ name: item.url, rps: 0, extra: { 'bytes on the wire': item.bytes, 'gzip body bytes': item.gzip } })),
        { name: 'total (document, stylesheet, scripts)', rps: 0, extra: { 'bytes on the wire': total, 'gzip body bytes': gzip, requests: documents.length } },
      ],
      notes: ['auth serves the pages uncompressed; a compressing proxy in front would send about the gzip figure plus headers.'],
    };
  } finally {
    await browser.close();
    await instance.stop();
  }
}

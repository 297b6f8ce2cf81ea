import { request } from 'node:http';
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import express, { type Express, type Request, type Response } from 'express';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createMetrics } from '@malet/metrics';
import { createHttpApp, finishHttpApp, startHttpServer, type RunningServer } from '../src/index';
import { plainJsonLength } from '../src/json-body';

const LIMIT = '1kb';
const logger = pino({ level: 'silent' });

/** An app answering with the body it was given; `bodies` adds its body readers. */
function echoApp(bodies?: (app: Express) => void) {
  const app = createHttpApp({ service: 'test', logger, metrics: createMetrics({ service: 'test', collectDefaults: false }), production: false, readiness: async () => {}, parseJson: !bodies, bodyLimit: LIMIT });
  bodies?.(app);
  app.post('/echo', (req: Request, res: Response) => void res.json({ body: req.body === undefined ? 'undefined' : req.body }));
  finishHttpApp(app);
  return startHttpServer(app, { port: 0, host: '127.0.0.1', logger });
}

// Ours (jsonBody, through createHttpApp) and body-parser alone, configured as jsonBody configures it.
const ours = await echoApp();
const reference = await echoApp((app) => app.use(express.json({ limit: LIMIT, strict: true }), express.urlencoded({ extended: false, limit: LIMIT, parameterLimit: 100 })));
afterAll(async () => Promise.all([ours.close(), reference.close()]));

/** POSTs `chunks` as separate writes with exactly `headers` (no content-length added: chunked when absent). */
function post(server: RunningServer, headers: Record<string, string>, chunks: Buffer[]): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const outgoing = request({ host: '127.0.0.1', port: server.port, path: '/echo', method: 'POST', headers }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (part: string) => (text += part));
      response.on('end', () => resolve({ status: response.statusCode!, body: JSON.parse(text) as unknown }));
    });
    outgoing.on('error', reject);
    for (const chunk of chunks) outgoing.write(chunk);
    outgoing.end();
  });
}

const JSON_TYPE = { 'content-type': 'application/json' };
const withLength = (headers: Record<string, string>, ...chunks: Buffer[]) => ({ headers: { ...headers, 'content-length': String(Buffer.concat(chunks).length) }, chunks });
const text = (value: string) => Buffer.from(value, 'utf8');
const padded = (bytes: number) => text(`{"p":"${'x'.repeat(bytes - 8)}"}`);
const euro = text('{"a":"€"}');

// [name, request, the status both must answer]
const CASES: [string, { headers: Record<string, string>; chunks: Buffer[] }, number][] = [
  ['an object', withLength(JSON_TYPE, text('{"a":1,"b":"é"}')), 200],
  ['an array', withLength(JSON_TYPE, text('[1,2]')), 200],
  ['the type in capitals with a charset', withLength({ 'content-type': 'Application/JSON; Charset=UTF-8' }, text('{"a":1}')), 200],
  ['the charset quoted (body-parser\'s path)', withLength({ 'content-type': 'application/json; charset="utf-8"' }, text('{"a":1}')), 200],
  ['whitespace before the object', withLength(JSON_TYPE, text('\n\t {"a":1}')), 200],
  ['a byte-order mark before the object', withLength(JSON_TYPE, text('\uFEFF{"a":1}')), 200],
  ['an empty body', withLength(JSON_TYPE), 200],
  ['a character split between two writes', withLength(JSON_TYPE, euro.subarray(0, 7), euro.subarray(7)), 200],
  ['bytes that are not UTF-8 inside a string', withLength(JSON_TYPE, Buffer.concat([text('{"a":"'), Buffer.from([0xff, 0xfe]), text('"}')])), 200],
  ['exactly the limit', withLength(JSON_TYPE, padded(1024)), 200],
  ['one byte over the limit', withLength(JSON_TYPE, padded(1025)), 413],
  ['a top-level string', withLength(JSON_TYPE, text('"text"')), 400],
  ['a top-level number after whitespace', withLength(JSON_TYPE, text(' 1')), 400],
  ['only whitespace', withLength(JSON_TYPE, text('   ')), 400],
  ['broken JSON', withLength(JSON_TYPE, text('{"a":')), 400],
  ['gzip (body-parser\'s path)', withLength({ ...JSON_TYPE, 'content-encoding': 'gzip' }, gzipSync('{"a":1}')), 200],
  ['chunked (body-parser\'s path)', { headers: JSON_TYPE, chunks: [text('{"a"'), text(':1}')] }, 200],
  ['chunked over the limit (body-parser\'s path)', { headers: JSON_TYPE, chunks: [padded(600), padded(600)] }, 413],
  ['a latin-1 charset (body-parser\'s path)', withLength({ 'content-type': 'application/json; charset=latin1' }, text('{"a":1}')), 415],
  ['a form (body-parser\'s path)', withLength({ 'content-type': 'application/x-www-form-urlencoded' }, text('a=1&b=two')), 200],
];

describe('jsonBody reads a body as body-parser does', () => {
  it.each(CASES)('%s', async (_name, { headers, chunks }, status) => {
    const [fast, general] = await Promise.all([post(ours, headers, chunks), post(reference, headers, chunks)]);
    expect(fast).toEqual(general);
    expect(fast.status).toBe(status);
  });

  it('reads only uncompressed UTF-8 JSON of a declared length itself', () => {
    expect(plainJsonLength({ 'content-type': 'application/json', 'content-length': '12' })).toBe(12);
    expect(plainJsonLength({ 'content-type': 'APPLICATION/JSON;charset=utf-8', 'content-length': '0' })).toBe(0);
    for (const headers of [
      { 'content-type': 'application/json' },
      { 'content-type': 'application/json', 'content-length': '12', 'content-encoding': 'gzip' },
      { 'content-type': 'application/json', 'content-length': '12', 'transfer-encoding': 'chunked' },
      { 'content-type': 'application/json; charset=latin1', 'content-length': '12' },
      { 'content-type': 'application/x-www-form-urlencoded', 'content-length': '12' },
      { 'content-length': '12' },
    ]) {
      expect(plainJsonLength(headers)).toBeUndefined();
    }
  });

  it('keeps answering after a client leaves in the middle of a body', async () => {
    const socket = connect(ours.port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write('POST /echo HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"a":');
    await new Promise((resolve) => setImmediate(resolve));
    const closed = new Promise((resolve) => socket.once('close', resolve));
    socket.destroy();
    await closed;
    expect(await post(ours, withLength(JSON_TYPE, text('{"a":1}')).headers, [text('{"a":1}')])).toEqual({ status: 200, body: { body: { a: 1 } } });
  });
});

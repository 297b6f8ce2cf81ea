import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SubgraphTimeoutError, SubgraphUnreachableError, createSubgraphFetcher } from './subgraph-fetcher';

/** A subgraph stand-in whose behaviour each path chooses: answer, hang, trickle or cut. */
let server: Server;
let base: string;
const sockets = new Set<Socket>();

const behaviours: Record<string, (body: string, res: ServerResponse) => void> = {
  '/echo': (body, res) => {
    res.writeHead(201, { 'content-type': 'application/json', 'x-seen': 'yes', 'x-twice': ['one', 'two'] });
    // Sent in pieces, so the fetcher must join the chunks.
    res.write(body.slice(0, 3));
    setTimeout(() => res.end(body.slice(3)), 20);
  },
  '/hang': () => {},
  '/trickle': (_body, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    const tick = setInterval(() => res.write(' '), 50);
    res.on('close', () => clearInterval(tick));
  },
  '/cut': (_body, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"data":');
    setTimeout(() => res.socket?.destroy(), 20);
  },
};

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => behaviours[req.url ?? '']?.(body, res));
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => server.close(resolve));
});

describe('the subgraph fetcher', () => {
  const fetchSubgraph = createSubgraphFetcher({ timeoutMs: 400 });

  it('sends the body and headers, and reads status, headers and a body that arrives in pieces', async () => {
    const response = await fetchSubgraph(`${base}/echo`, { headers: { 'content-type': 'application/json' }, body: '{"query":"{ me { id } }"}' });
    expect({ ok: response.ok, status: response.status, type: response.headers.get('content-type'), seen: response.headers.get('X-Seen'), twice: response.headers.get('x-twice'), missing: response.headers.get('x-none') }).toEqual({
      ok: true,
      status: 201,
      type: 'application/json',
      seen: 'yes',
      twice: 'one, two',
      missing: null,
    });
    expect(await response.json()).toEqual({ query: '{ me { id } }' });
  });

  it('gives up on a subgraph that never answers at the deadline, and on one that trickles its body past it', async () => {
    await expect(fetchSubgraph(`${base}/hang`, { body: '{}' })).rejects.toBeInstanceOf(SubgraphTimeoutError);
    // Each byte arrives well within the deadline; the whole exchange does not.
    await expect(fetchSubgraph(`${base}/trickle`, { body: '{}' })).rejects.toBeInstanceOf(SubgraphTimeoutError);
  });

  it('reports a refused connection and a connection cut mid-body as unreachable', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await expect(fetchSubgraph(`http://127.0.0.1:${port}/graphql`, { body: '{}' })).rejects.toBeInstanceOf(SubgraphUnreachableError);
    await expect(fetchSubgraph(`${base}/cut`, { body: '{}' })).rejects.toBeInstanceOf(SubgraphUnreachableError);
  });

  it('keeps answering after timeouts: an aborted request does not poison the connection pool', async () => {
    await expect(fetchSubgraph(`${base}/hang`, { body: '{}' })).rejects.toBeInstanceOf(SubgraphTimeoutError);
    const answers = await Promise.all([1, 2, 3].map((n) => fetchSubgraph(`${base}/echo`, { body: `{"n":${n}}` }).then((response) => response.json())));
    expect(answers).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
  });
});

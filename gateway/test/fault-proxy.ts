import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A plain HTTP forwarder between a gateway and auth that can cut one path: while `cut`, every
 * request under `path` hangs (no answer, socket held open) and streams already open under it go
 * silent (nothing more is forwarded), as a stalled network or a frozen peer would. Everything
 * else is forwarded untouched, so credentials still validate. Not a stand-in for auth: auth
 * answers every request that is let through.
 */
export async function startFaultProxy(path: string) {
  let target: URL | null = null;
  let cut = false;
  const held = new Set<Socket>();
  const flowing = new Set<{ silence: () => void }>();

  const server = http.createServer((req, res) => {
    const cutPath = req.url?.startsWith(path) ?? false;
    if (cutPath && cut) {
      held.add(req.socket);
      return;
    }
    if (!target) {
      res.writeHead(503).end();
      return;
    }
    const upstream = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        if (!cutPath) return;
        const entry = {
          silence: () => {
            answer.unpipe(res);
            upstream.destroy();
            held.add(req.socket);
          },
        };
        flowing.add(entry);
        res.on('close', () => flowing.delete(entry));
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    forwardTo(url: string): void {
      target = new URL(url);
    },
    cut(): void {
      cut = true;
      for (const entry of flowing) entry.silence();
      flowing.clear();
    },
    heal(): void {
      cut = false;
      for (const socket of held) socket.destroy();
      held.clear();
    },
    async stop(): Promise<void> {
      for (const socket of held) socket.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestRedis, waitFor, type TestRedis } from '@malet/testing';
import { createRedisClient } from '../src/index';

let redis: TestRedis | undefined;
afterAll(() => redis?.stop());

function capturingLogger() {
  const lines: { level: number; msg: string }[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as { level: number; msg: string });
      done();
    },
  });
  return { logger: pino({ level: 'info' }, sink), lines };
}

describe('createRedisClient', () => {
  it('fails commands at once while Redis is away (not queued), says so once, and recovers when it returns', async () => {
    redis = await startTestRedis({ port: undefined });
    const port = Number(new URL(redis.url).port);
    const { logger, lines } = capturingLogger();
    const client = createRedisClient(redis.url, { logger, whileAway: 'counting in this process' });
    try {
      await waitFor(() => client.status === 'ready', { what: 'the first connection' });
      await client.set('k', 'v');
      expect(await client.get('k')).toBe('v');

      await redis.stop();
      await waitFor(() => client.status !== 'ready', { what: 'the client to notice' });
      // Refused by the client itself: the offline queue is off, so nothing waits for a reconnect.
      await expect(client.get('k')).rejects.toThrow("Stream isn't writeable and enableOfflineQueue options is false");
      await expect(client.incr('n')).rejects.toThrow('enableOfflineQueue');
      await waitFor(() => lines.some((line) => line.msg.startsWith('Redis unreachable')), { what: 'the warning' });
      expect(lines.filter((line) => line.msg === 'Redis unreachable: counting in this process until it returns')).toHaveLength(1);

      redis = await startTestRedis({ port });
      await waitFor(() => client.status === 'ready', { timeoutMs: 15_000, what: 'the reconnection' });
      expect(await client.incr('n')).toBe(1);
      expect(lines.filter((line) => line.msg === 'Redis reachable again')).toHaveLength(1);
    } finally {
      client.disconnect();
    }
  });
});

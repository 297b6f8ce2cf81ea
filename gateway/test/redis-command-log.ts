import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { waitFor } from '@malet/testing';

/**
 * Every command a Redis server runs for its clients (not those a script runs inside it), seen
 * through MONITOR, so a test can count the commands on one key while other tests share the server.
 */
export async function watchRedisCommands(redisUrl: string) {
  const seen: string[][] = [];
  const control = new Redis(redisUrl);
  const monitor = await new Redis(redisUrl).monitor();
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    if (source !== 'lua') seen.push(args);
  });
  /** Where the log stands once every command sent so far has run (Redis runs them in order). */
  const mark = async (): Promise<number> => {
    const marker = `marker-${randomUUID()}`;
    await control.echo(marker);
    return waitFor(
      () => {
        const index = seen.findIndex((args) => args[0] === 'echo' && args[1] === marker);
        return index >= 0 ? index + 1 : undefined; // just past the marker (never 0, which waitFor takes for not yet)
      },
      { what: 'the marker in MONITOR' },
    );
  };
  return {
    mark,
    /** Commands naming `key` from `since` (a mark) until now. */
    async commandsOn(key: string, since: number): Promise<number> {
      const end = await mark();
      return seen.slice(since, end).filter((args) => args.includes(key)).length;
    },
    stop(): void {
      monitor.disconnect();
      control.disconnect();
    },
  };
}

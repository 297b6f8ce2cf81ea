import type { Logger } from 'pino';

/** Exponential backoff with jitter for a row's next attempt: 1 s, 2 s, 4 s ... up to `maxMs`. */
export function retryDelayMs(attempts: number, options: { baseMs?: number; maxMs?: number } = {}): number {
  const base = options.baseMs ?? 500;
  return Math.min(options.maxMs ?? 5 * 60_000, base * 2 ** Math.min(attempts, 20)) * (0.75 + Math.random() / 2);
}

/**
 * The loop of a table-backed relay: `pass` handles one batch and returns how many rows it
 * took; passes repeat while batches come back full, every `pollMs`, and at once on `wake()`.
 * Concurrent wake-ups coalesce into one rerun; a failing pass is logged and retried next poll.
 */
export function createPollingWorker(options: { name: string; pass: () => Promise<number>; batchSize: number; pollMs: number; logger: Logger }) {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;
  let again = false;
  let stopped = true;

  function run(): Promise<number> {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      let total = 0;
      try {
        do {
          again = false;
          let handled: number;
          do {
            handled = await options.pass();
            total += handled;
          } while (handled === options.batchSize);
        } while (again);
      } catch (error) {
        options.logger.error({ err: error }, `${options.name} pass failed`);
      } finally {
        running = undefined;
      }
      return total;
    })();
    return running;
  }

  function schedule() {
    if (stopped) return;
    timer = setTimeout(() => {
      void run().finally(schedule);
    }, options.pollMs);
    timer.unref();
  }

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      schedule();
    },
    /** Works now instead of at the next poll: call after committing a row. */
    wake(): void {
      void run();
    },
    /** One full pass; resolves when it is done. */
    flush: run,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}

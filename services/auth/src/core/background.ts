import type { Logger } from '@malet/logging';

/**
 * Work that runs after the answer has gone out: mail whose sending must not show in the answer's
 * timing (no enumeration), and the tail of a registration. Failures are logged under the task's
 * name. `settled()` resolves once nothing is in flight, which is what lets a test prove that no
 * mail was sent by waiting on the real signal instead of a fixed sleep.
 */
export function createBackgroundTasks(logger: Logger) {
  const inFlight = new Set<Promise<void>>();

  return {
    /** Starts `task` on the next turn of the event loop, after the current answer is written. */
    run(name: string, task: () => Promise<unknown>): void {
      const running = new Promise<void>((resolve) => setImmediate(resolve))
        .then(task)
        .then(
          () => undefined,
          (error: unknown) => logger.error({ err: error, task: name }, 'background task failed'),
        )
        .finally(() => inFlight.delete(running));
      inFlight.add(running);
    },

    /** Resolves when every task started so far, and every task those started, has finished. */
    async settled(): Promise<void> {
      while (inFlight.size > 0) await Promise.all([...inFlight]);
    },
  };
}

export type BackgroundTasks = ReturnType<typeof createBackgroundTasks>;

import type { Logger } from '@malet/logging';
import type { ScheduledJob } from './module';

/** Runs each job every `everyMs` (without holding the process open); returns the stop function. */
export function scheduleJobs(jobs: readonly ScheduledJob[], logger: Logger): () => void {
  const timers = jobs.map((job) => {
    const timer = setInterval(() => {
      job.run().catch((error: unknown) => logger.warn({ err: error, job: job.name }, 'scheduled job failed'));
    }, job.everyMs);
    timer.unref();
    return timer;
  });
  return () => {
    for (const timer of timers) clearInterval(timer);
  };
}

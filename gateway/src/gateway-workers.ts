import cluster, { type Worker } from 'node:cluster';
import type { Logger } from '@malet/logging';

/**
 * `GATEWAY_WORKERS=n` (or `auto`, one per core): the primary process forks n gateway workers
 * that share the listening port (node:cluster), so one gateway uses every core. Each worker is a
 * whole gateway (its own credential cache, plan cache and revocation subscription, and the
 * GraphQL limits); the per-client /graphql rate limit is shared through Redis when configured,
 * and without it counts in each worker, as in any other gateway process. A worker that dies is
 * replaced after a second. SIGTERM/SIGINT reach every worker, which drain as a single
 * gateway does, and the primary exits when the last one has.
 */
export function superviseGatewayWorkers(options: { workers: number; logger: Logger }): void {
  let stopping = false;
  const fork = () => {
    const worker = cluster.fork();
    worker.once('exit', (code, signal) => onExit(worker, code, signal));
  };
  const onExit = (worker: Worker, code: number | null, signal: string | null) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    options.logger.error({ worker: worker.process.pid, code, signal }, 'gateway worker exited; starting another in 1 s');
    setTimeout(fork, 1_000).unref();
  };
  for (let index = 0; index < options.workers; index += 1) fork();
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    options.logger.info({ signal }, 'stopping gateway workers');
    const workers = Object.values(cluster.workers ?? {});
    if (workers.length === 0) process.exit(0);
    for (const worker of workers) worker?.process.kill(signal);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  options.logger.info({ workers: options.workers }, 'gateway primary started its workers');
}

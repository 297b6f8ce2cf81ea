import cluster from 'node:cluster';
import { serveUntilSignalled, startHttpServer } from '@malet/http-server';
import { createLogger } from '@malet/logging';
import { createGatewayApp } from './app';
import { loadGatewayConfig } from './config';
import { superviseGatewayWorkers } from './gateway-workers';

const config = loadGatewayConfig();
const logger = createLogger({ service: 'gateway', level: config.logLevel });

if (config.workers > 1 && cluster.isPrimary) {
  superviseGatewayWorkers({ workers: config.workers, logger });
} else {
  const gateway = await createGatewayApp({ config, logger });
  const admin =
    gateway.adminApp && config.admin.port !== undefined
      ? await startHttpServer(gateway.adminApp, { port: config.admin.port, host: config.admin.host, logger })
      : null;
  await serveUntilSignalled(gateway.app, {
    service: 'gateway',
    http: config.http,
    logger,
    onClose: async () => {
      await admin?.close();
      await gateway.close();
    },
    details: { admin: admin?.url, ...(cluster.isWorker ? { worker: cluster.worker?.id } : {}) },
  });
}

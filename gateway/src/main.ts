import { serveUntilSignalled, startHttpServer } from '@malet/http-server';
import { createLogger } from '@malet/logging';
import { createGatewayApp } from './app';
import { loadGatewayConfig } from './config';

const config = loadGatewayConfig();
const logger = createLogger({ service: 'gateway', level: config.logLevel });
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
  details: { admin: admin?.url },
});

import { closeOnSignals, startHttpServer } from '@malet/http-server';
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
const server = await startHttpServer(gateway.app, {
  port: config.http.port,
  host: config.http.host,
  logger,
  graceMs: config.http.shutdownGraceMs,
  onClose: async () => {
    await admin?.close();
    await gateway.close();
  },
});
closeOnSignals(server.close, logger);
logger.info({ url: server.url, admin: admin?.url }, 'gateway listening');

export { createHttpApp, finishHttpApp, jsonBody, type HttpAppOptions } from './app';
export { startHttpServer, closeOnSignals, serveUntilSignalled, type RunningServer } from './server';
export { validate } from './validation';

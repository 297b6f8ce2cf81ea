export { createHttpApp, finishHttpApp, isShuttingDown, type HttpAppOptions } from './app';
export { isPlainJsonType, jsonBody } from './json-body';
export { inSeries } from './in-series';
export { startHttpServer, closeOnSignals, serveUntilSignalled, type RunningServer } from './server';
export { validate } from './validation';
export { errorRendererFor, restErrorRenderer, useErrorRenderer, type ErrorRenderer, type RenderedError } from './error-renderers';
export { compileTrustedProxies, parseTrustedProxies, trustedProxiesEnv, type TrustedProxies } from './trusted-proxies';

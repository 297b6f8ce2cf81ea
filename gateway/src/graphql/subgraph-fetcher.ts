import { Agent, errors as undiciErrors, type Dispatcher } from 'undici';

/** The subgraph did not answer (headers and body) within the deadline. */
export class SubgraphTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
    this.name = 'SubgraphTimeoutError';
  }
}

/** The subgraph could not be reached or cut the connection (refused, reset, closed). */
export class SubgraphUnreachableError extends Error {
  constructor(cause: unknown) {
    super(`unreachable: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.name = 'SubgraphUnreachableError';
  }
}

export interface SubgraphResponse {
  ok: boolean;
  status: number;
  statusText: string;
  url: string;
  headers: { get(name: string): string | null };
  json(): Promise<unknown>;
  text(): Promise<string>;
}

/**
 * The subgraph fetcher: undici's dispatcher over a keep-alive agent, shaped as the small part of
 * the Fetch API that RemoteGraphQLDataSource uses (ok, status, headers.get, json, text). It
 * skips WHATWG Request/Response construction, which costs more than the hop itself on loopback,
 * and undici's `request` too: its response body stream and abort-signal wiring were a tenth of
 * the gateway's CPU on a small query; the body's chunks are collected as they arrive instead.
 *
 * The handler is undici's raw one (onConnect, onHeaders, onData, onComplete, onError), which its
 * connection calls directly. Given the newer onRequestStart/onResponseStart shape, undici 7 wraps
 * it and turns every response's header and trailer lists into objects first; that was 3% of the
 * gateway's CPU on `{ me }`, for the one header read (content-type), now found in the raw list
 * when asked for.
 *
 * One deadline covers the whole exchange (connect, headers, body): a hung or trickling subgraph
 * costs a query at most `timeoutMs`, after which the request is aborted (its socket dropped)
 * and a SubgraphTimeoutError thrown.
 */
export function createSubgraphFetcher(options: { connections?: number; timeoutMs?: number } = {}) {
  const agent = new Agent({ connections: options.connections ?? 128, keepAliveTimeout: 30_000, pipelining: 1 });
  const timeoutMs = options.timeoutMs ?? 5_000;
  // Subgraph URLs are a handful of fixed strings: each is split into origin and path once.
  const targets = new Map<string, { origin: string; path: string }>();
  const targetOf = (url: string) => {
    let target = targets.get(url);
    if (!target) {
      const parsed = new URL(url);
      target = { origin: parsed.origin, path: `${parsed.pathname}${parsed.search}` };
      targets.set(url, target);
    }
    return target;
  };

  return function fetchSubgraph(url: string, init: { method?: string; headers?: Record<string, string>; body?: string }): Promise<SubgraphResponse> {
    const { origin, path } = targetOf(url);
    return new Promise((resolve, reject) => {
      let abort: ((error: Error) => void) | undefined;
      let timedOut = false;
      let status = 0;
      let rawHeaders: Buffer[] = [];
      const chunks: Buffer[] = [];
      const deadline = setTimeout(() => {
        timedOut = true;
        // Before the request has started there is nothing to abort yet: onConnect sees timedOut.
        abort?.(new SubgraphTimeoutError(timeoutMs));
      }, timeoutMs);
      const fail = (error: unknown) => {
        clearTimeout(deadline);
        reject(timedOut || error instanceof undiciErrors.HeadersTimeoutError || error instanceof undiciErrors.BodyTimeoutError ? new SubgraphTimeoutError(timeoutMs) : new SubgraphUnreachableError(error));
      };
      const handler: RawDispatchHandler = {
        onConnect(abortRequest) {
          abort = abortRequest;
          if (timedOut) abortRequest(new SubgraphTimeoutError(timeoutMs));
        },
        onHeaders(statusCode, headers) {
          status = statusCode;
          rawHeaders = headers;
          return true;
        },
        onData(chunk) {
          chunks.push(chunk);
          return true;
        },
        onComplete() {
          clearTimeout(deadline);
          resolve(answerOf(url, status, rawHeaders, Buffer.concat(chunks).toString('utf8')));
        },
        onError(error) {
          fail(error);
        },
      };
      try {
        agent.dispatch({ origin, path, method: (init.method ?? 'POST') as 'POST', headers: init.headers ?? {}, body: init.body ?? null }, handler as Dispatcher.DispatchHandler);
      } catch (error) {
        fail(error);
      }
    });
  };
}

/** undici's raw handler, which its types mark deprecated in favour of the wrapped one (see above). */
interface RawDispatchHandler {
  onConnect(abort: (error: Error) => void): void;
  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean;
  onData(chunk: Buffer): boolean;
  onComplete(rawTrailers: Buffer[] | null): void;
  onError(error: Error): void;
}

function answerOf(url: string, status: number, rawHeaders: Buffer[], text: string): SubgraphResponse {
  // Names and values alternate; a repeated header's values are joined as the Fetch API joins them.
  const header = (name: string) => {
    const wanted = name.toLowerCase();
    let value: string | null = null;
    for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
      const raw = rawHeaders[i]!;
      if (raw.length !== wanted.length || raw.toString('latin1').toLowerCase() !== wanted) continue;
      const found = rawHeaders[i + 1]!.toString('utf8');
      value = value === null ? found : `${value}, ${found}`;
    }
    return value;
  };
  return {
    ok: status >= 200 && status < 300,
    status,
    statusText: String(status),
    url,
    headers: { get: header },
    json: async () => JSON.parse(text) as unknown,
    text: async () => text,
  };
}

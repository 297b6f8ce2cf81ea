import { Agent, errors as undiciErrors, request } from 'undici';

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

/**
 * The subgraph fetcher: undici's `request` over a keep-alive agent, shaped as the small part of
 * the Fetch API that RemoteGraphQLDataSource uses (ok, status, headers.get, json, text). It
 * skips WHATWG Request/Response construction, which costs more than the hop itself on loopback.
 *
 * One deadline covers the whole exchange (connect, headers, body): a hung subgraph costs a query
 * at most `timeoutMs`, after which the socket is dropped and a SubgraphTimeoutError thrown.
 */
export function createSubgraphFetcher(options: { connections?: number; timeoutMs?: number } = {}) {
  const agent = new Agent({ connections: options.connections ?? 128, keepAliveTimeout: 30_000, pipelining: 1 });
  const timeoutMs = options.timeoutMs ?? 5_000;

  return async function fetchSubgraph(url: string, init: { method?: string; headers?: Record<string, string>; body?: string }) {
    const deadline = AbortSignal.timeout(timeoutMs);
    let status: number;
    let headers: Record<string, string | string[] | undefined>;
    let text: string;
    try {
      const response = await request(url, {
        method: (init.method ?? 'POST') as 'POST',
        headers: init.headers,
        body: init.body,
        dispatcher: agent,
        signal: deadline,
      });
      status = response.statusCode;
      headers = response.headers;
      text = await response.body.text();
    } catch (error) {
      if (deadline.aborted || error instanceof undiciErrors.HeadersTimeoutError || error instanceof undiciErrors.BodyTimeoutError) {
        throw new SubgraphTimeoutError(timeoutMs);
      }
      throw new SubgraphUnreachableError(error);
    }
    const header = (name: string) => {
      const value = headers[name.toLowerCase()];
      return Array.isArray(value) ? value.join(', ') : (value ?? null);
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
  };
}

import { Agent, request } from 'undici';

/**
 * The subgraph fetcher: undici's `request` over a keep-alive agent, shaped as the small part of
 * the Fetch API that RemoteGraphQLDataSource uses (ok, status, headers.get, json, text). It
 * skips WHATWG Request/Response construction, which costs more than the hop itself on loopback.
 */
export function createSubgraphFetcher(options: { connections?: number; timeoutMs?: number } = {}) {
  const agent = new Agent({ connections: options.connections ?? 128, keepAliveTimeout: 30_000, pipelining: 1 });
  const timeout = options.timeoutMs ?? 30_000;

  return async function fetchSubgraph(url: string, init: { method?: string; headers?: Record<string, string>; body?: string }) {
    const response = await request(url, {
      method: (init.method ?? 'POST') as 'POST',
      headers: init.headers,
      body: init.body,
      dispatcher: agent,
      headersTimeout: timeout,
      bodyTimeout: timeout,
    });
    const text = await response.body.text();
    const header = (name: string) => {
      const value = response.headers[name.toLowerCase()];
      return Array.isArray(value) ? value.join(', ') : (value ?? null);
    };
    return {
      ok: response.statusCode >= 200 && response.statusCode < 300,
      status: response.statusCode,
      statusText: String(response.statusCode),
      url,
      headers: { get: header },
      json: async () => JSON.parse(text) as unknown,
      text: async () => text,
    };
  };
}

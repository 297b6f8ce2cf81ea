/** What every request of the test client answers: status, parsed JSON body (or `{}`), raw text, headers. */
export interface HttpAnswer<T = Record<string, unknown>> {
  status: number;
  body: T;
  text: string;
  headers: Headers;
}

export interface RequestOptions {
  headers?: Record<string, string>;
  /** `manual` to see redirects instead of following them. */
  redirect?: 'follow' | 'manual';
}

/**
 * The one HTTP client of auth's tests. A body that is a string is sent as is (malformed JSON,
 * form encoding, with the caller's content type); anything else is sent as JSON.
 */
export function httpClient(baseUrl: string | (() => string)) {
  const base = typeof baseUrl === 'string' ? () => baseUrl : baseUrl;

  async function request<T = Record<string, unknown>>(method: string, path: string, body?: unknown, options: RequestOptions = {}): Promise<HttpAnswer<T>> {
    const headers: Record<string, string> = { ...(body === undefined || typeof body === 'string' ? {} : { 'content-type': 'application/json' }), ...options.headers };
    if (typeof body === 'string' && !Object.keys(headers).some((name) => name.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
    const response = await fetch(`${base()}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      redirect: options.redirect ?? 'follow',
    });
    const text = await response.text();
    let parsed: unknown = {};
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      parsed = {};
    }
    return { status: response.status, body: parsed as T, text, headers: response.headers };
  }

  return {
    request,
    get: <T = Record<string, unknown>>(path: string, headers?: Record<string, string>, options: Omit<RequestOptions, 'headers'> = {}) =>
      request<T>('GET', path, undefined, { ...options, headers }),
    post: <T = Record<string, unknown>>(path: string, body?: unknown, headers?: Record<string, string>, options: Omit<RequestOptions, 'headers'> = {}) =>
      request<T>('POST', path, body, { ...options, headers }),
    patch: <T = Record<string, unknown>>(path: string, body?: unknown, headers?: Record<string, string>) => request<T>('PATCH', path, body, { headers }),
    del: <T = Record<string, unknown>>(path: string, headers?: Record<string, string>) => request<T>('DELETE', path, undefined, { headers }),
  };
}

export type HttpClient = ReturnType<typeof httpClient>;

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

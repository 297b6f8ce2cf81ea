import type { InternalTokenSigner } from './index';
import { INTERNAL_TOKEN_HEADER } from './internal-token-header';

/** Another service could not be asked at all: refused, reset, or silent past the deadline. */
export class InternalServiceUnreachable extends Error {
  override name = 'InternalServiceUnreachable';
}

/** What another service's internal API answered: its status and its JSON body (undefined when the body is not JSON). */
export interface InternalAnswer {
  status: number;
  /** A 2xx status. */
  ok: boolean;
  body: unknown;
}

/**
 * One call to another service's internal API with a fresh internal token: GET, or POST with a
 * JSON body. Only "could not ask" is an error (InternalServiceUnreachable); every status is
 * returned, for the caller to map to its own error codes, because what a 404 or a 5xx means
 * differs from one conversation to the next.
 */
export async function callInternalApi(options: {
  url: string;
  signInternalToken: InternalTokenSigner;
  timeoutMs: number;
  /** Sent as JSON with POST; without it the call is a GET. */
  body?: unknown;
}): Promise<InternalAnswer> {
  const headers: Record<string, string> = { [INTERNAL_TOKEN_HEADER]: await options.signInternalToken() };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(options.url, {
      method: options.body === undefined ? 'GET' : 'POST',
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: AbortSignal.timeout(options.timeoutMs),
    });
  } catch (error) {
    throw new InternalServiceUnreachable('the internal API could not be reached', { cause: error });
  }
  const body: unknown = await response.json().catch(() => undefined);
  return { status: response.status, ok: response.ok, body };
}

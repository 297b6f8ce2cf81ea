import { ServiceUnavailableError } from '@malet/errors';
import { INTERNAL_TOKEN_HEADER, type InternalTokenSigner } from '@malet/internal-auth';

/**
 * One JSON call to another service's internal API with an internal token. A service that cannot
 * be reached, or answers 5xx, is a 503 for our caller; 4xx answers are returned for the caller
 * to interpret.
 */
export async function callInternal(options: {
  service: string;
  url: string;
  body: unknown;
  signInternalToken: InternalTokenSigner;
  timeoutMs?: number;
}): Promise<{ status: number; body: Record<string, unknown> }> {
  let response: Response;
  try {
    response = await fetch(options.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [INTERNAL_TOKEN_HEADER]: await options.signInternalToken() },
      body: JSON.stringify(options.body),
      signal: AbortSignal.timeout(options.timeoutMs ?? 5_000),
    });
  } catch {
    throw new ServiceUnavailableError(`The ${options.service} service is unavailable`, `${options.service}:unavailable`);
  }
  if (response.status >= 500) throw new ServiceUnavailableError(`The ${options.service} service failed`, `${options.service}:unavailable`);
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  return { status: response.status, body };
}

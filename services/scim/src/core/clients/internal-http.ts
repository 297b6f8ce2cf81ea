import { ServiceUnavailableError } from '@malet/errors';
import { callInternalApi, type InternalTokenSigner } from '@malet/internal-auth';

/**
 * One JSON POST to another service's internal API with an internal token. A service that cannot
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
  let answer;
  try {
    answer = await callInternalApi({ url: options.url, body: options.body, signInternalToken: options.signInternalToken, timeoutMs: options.timeoutMs ?? 5_000 });
  } catch {
    throw new ServiceUnavailableError(`The ${options.service} service is unavailable`, `${options.service}:unavailable`);
  }
  if (answer.status >= 500) throw new ServiceUnavailableError(`The ${options.service} service failed`, `${options.service}:unavailable`);
  const body = typeof answer.body === 'object' && answer.body !== null ? (answer.body as Record<string, unknown>) : {};
  return { status: answer.status, body };
}

import { LRUCache } from 'lru-cache';
import { Redis } from 'ioredis';
import { Agent, request as undiciRequest, type Dispatcher } from 'undici';
import type { Logger } from 'pino';
import { ServiceUnavailableError } from '@malet/errors';
import { INTERNAL_TOKEN_HEADER } from '@malet/internal-auth';
import { isSessionTokenShape } from './credential';
import { createRevocationStreamClient, type RevocationStreamState } from './revocation-stream';
import { SESSION_REVOCATION_CHANNEL, decodeRevocation, hashToken } from './revocations';

export interface Credential {
  kind: 'cookie' | 'bearer';
  token: string;
}

/** What auth vouches for about a valid credential. */
export interface ValidatedSession {
  userId: string;
  email: string;
  sessionId: string;
  expiresAt: number;
  roles: string[];
  amr: string[];
}

type CacheEntry = { session: ValidatedSession | null };
export type CacheResult = 'hit' | 'negative_hit' | 'miss' | 'coalesced' | 'malformed';

/**
 * Credential validation as docs/architecture.md section 3 describes it: a per-process LRU keyed by the token's
 * hash, positive entries living no longer than the session (and a cap), a short negative cache,
 * one in-flight request per token however many callers miss at once, and eviction when auth
 * announces a revocation. When auth cannot be reached the caller gets an error, never a pass.
 *
 * Revocations arrive on auth's revocation stream (revocation-stream.ts), which every deployment
 * has; a cached "valid" is trusted only while that stream is live and caught up. With REDIS_URL
 * the Redis channel is followed as well, as a second, independent way for an eviction to arrive
 * (auth publishes there too); the trust decision rests on the stream alone.
 */
export function createSessionValidator(options: {
  authUrl: string;
  logger: Logger;
  redisUrl?: string;
  maxEntries?: number;
  positiveTtlCapMs?: number;
  negativeTtlMs?: number;
  timeoutMs?: number;
  onLookup?: (result: CacheResult) => void;
  /** How long after the revocation channel returns cached sessions stay untrusted (5 s). */
  revocationGraceMs?: number;
  /**
   * Proves to auth that the caller is the gateway (an internal token), which exempts validation
   * calls from auth's per-IP rate limit: all of a gateway's users share its IP.
   */
  callerToken?: () => Promise<string>;
  /** Longest silence on the revocation stream before it counts as lost (auth's heartbeat is 5 s). */
  revocationStreamSilenceMs?: number;
  onRevocationStreamState?: (state: RevocationStreamState) => void;
}) {
  const positiveCap = options.positiveTtlCapMs ?? 60_000;
  const negativeTtl = options.negativeTtlMs ?? 5_000;
  const cache = new LRUCache<string, CacheEntry>({ max: options.maxEntries ?? 50_000, ttlAutopurge: false });
  const inFlight = new Map<string, Promise<ValidatedSession | null>>();
  // Revocations that arrive while a lookup is in flight must win over its (stale) answer.
  const revokedDuringFlight = new Set<string>();
  let subscriber: Redis | undefined;
  let subscribedAt: number | null = null;
  // Publishers (auth) reconnect on their own schedule: for a moment after the channel returns,
  // a revocation may still be published into the void, so trust waits out this grace period.
  const graceMs = options.revocationGraceMs ?? 5_000;
  function channelState(): 'local' | 'live' | 'recovering' | 'lost' {
    if (!options.redisUrl) return 'local';
    if (subscribedAt === null) return 'lost';
    return Date.now() - subscribedAt >= graceMs ? 'live' : 'recovering';
  }
  const stream = createRevocationStreamClient({
    authUrl: options.authUrl,
    callerToken: options.callerToken ?? (() => Promise.reject(new Error('the revocation stream needs an internal token'))),
    logger: options.logger,
    silenceMs: options.revocationStreamSilenceMs ?? 15_000,
    onRevoked: (hash) => evict([hash]),
    onReset: () => cache.clear(),
    onStateChange: options.onRevocationStreamState,
  });
  /**
   * Cached answers are trusted while at least one path that carries every revocation is up:
   * auth's stream (live and caught up) or the Redis channel (subscribed past its grace period).
   */
  const revocationsHeard = () => stream.state() === 'live' || channelState() === 'live';
  // undici's request API on a keep-alive pool: validation is on the hot path of every cache miss.
  const agent = new Agent({ connections: 64, keepAliveTimeout: 30_000 });
  const timeoutMs = options.timeoutMs ?? 3_000;

  async function askAuth(credential: Credential): Promise<ValidatedSession | null> {
    const request: { url: string; method: string; headers: Record<string, string> } =
      credential.kind === 'cookie'
        ? { url: `${options.authUrl}/auth/validate`, method: 'GET', headers: { cookie: `session_token=${credential.token}` } }
        : { url: `${options.authUrl}/validate-token`, method: 'POST', headers: { authorization: `Bearer ${credential.token}` } };
    if (options.callerToken) request.headers[INTERNAL_TOKEN_HEADER] = await options.callerToken();
    let response: Dispatcher.ResponseData;
    try {
      response = await undiciRequest(request.url, {
        method: request.method as Dispatcher.HttpMethod,
        headers: request.headers,
        dispatcher: agent,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
    } catch (error) {
      options.logger.error({ err: error }, 'auth unreachable while validating a credential');
      throw new ServiceUnavailableError('Authentication service unavailable', 'auth:unavailable');
    }
    if (response.statusCode === 401) {
      await response.body.dump();
      return null;
    }
    if (response.statusCode < 200 || response.statusCode >= 300) {
      await response.body.dump();
      options.logger.error({ status: response.statusCode }, 'auth failed while validating a credential');
      throw new ServiceUnavailableError('Authentication service unavailable', 'auth:unavailable');
    }
    const body = (await response.body.json()) as {
      user_id: string;
      email: string;
      session_id: string;
      expires_at: string;
      roles?: string[];
      amr?: string[];
    };
    return {
      userId: body.user_id,
      email: body.email,
      sessionId: body.session_id,
      expiresAt: Date.parse(body.expires_at),
      roles: body.roles ?? [],
      amr: body.amr ?? [],
    };
  }

  function remember(key: string, session: ValidatedSession | null): void {
    if (revokedDuringFlight.delete(key)) return;
    if (!session) {
      cache.set(key, { session: null }, { ttl: negativeTtl });
      return;
    }
    const ttl = Math.min(positiveCap, session.expiresAt - Date.now());
    if (ttl > 0) cache.set(key, { session }, { ttl });
  }

  async function validate(credential: Credential): Promise<ValidatedSession | null> {
    // Not of the minted shape: refused here, never cached, never asked about (see isSessionTokenShape).
    if (!isSessionTokenShape(credential.token)) {
      options.onLookup?.('malformed');
      return null;
    }
    const key = hashToken(credential.token);
    const cached = cache.get(key);
    // While the revocation channel is down a revocation could pass unheard: a cached "valid" is
    // not trusted then (auth is asked every time); a cached "invalid" still is.
    if (cached && (cached.session === null || revocationsHeard())) {
      // An entry may outlive the session by less than a timer tick; check expiry on read too.
      if (cached.session && cached.session.expiresAt <= Date.now()) {
        cache.delete(key);
      } else {
        options.onLookup?.(cached.session ? 'hit' : 'negative_hit');
        return cached.session;
      }
    }
    const pending = inFlight.get(key);
    if (pending) {
      options.onLookup?.('coalesced');
      return pending;
    }
    options.onLookup?.('miss');
    const lookup = askAuth(credential)
      .then((session) => {
        remember(key, session);
        return session;
      })
      .finally(() => {
        inFlight.delete(key);
        revokedDuringFlight.delete(key);
      });
    inFlight.set(key, lookup);
    return lookup;
  }

  function evict(tokenHashes: string[]): void {
    for (const hash of tokenHashes) {
      cache.delete(hash);
      if (inFlight.has(hash)) revokedDuringFlight.add(hash);
    }
  }

  /** Starts following revocations: auth's stream always (in the background), Redis when configured. */
  async function subscribe(): Promise<void> {
    stream.start();
    if (!options.redisUrl) return;
    subscriber = new Redis(options.redisUrl, { lazyConnect: true, maxRetriesPerRequest: null });
    subscriber.on('message', (_channel: string, message: string) => evict(decodeRevocation(message)));
    subscriber.on('error', (error: Error) => options.logger.warn({ err: error }, 'revocation subscriber error (the stream from auth still evicts)'));
    // After a reconnect, revocations published while we were away are lost to this channel.
    // ioredis resubscribes on reconnect before 'ready'; the grace period then covers publishers.
    subscriber.on('ready', () => {
      // Unless the stream heard everything meanwhile, what is cached may have missed a revocation.
      if (stream.state() !== 'live') cache.clear();
      subscribedAt = Date.now();
    });
    subscriber.on('close', () => {
      if (subscribedAt !== null) options.logger.warn('revocation channel lost: cached credentials are trusted only while auth\'s revocation stream is live');
      subscribedAt = null;
    });
    await subscriber.connect();
    await subscriber.subscribe(SESSION_REVOCATION_CHANNEL);
    // The first subscription has no missed past: trusted at once.
    subscribedAt = Date.now() - graceMs;
  }

  return {
    validate,
    evict,
    subscribe,
    /**
     * `revocations`: the Redis channel, `live`, `recovering` (back for less than the grace period),
     * `lost`, or `local` (no Redis configured); `revocationStream`: auth's stream.
     */
    stats: () => ({ size: cache.size, inFlight: inFlight.size, revocationsHeard: revocationsHeard(), revocations: channelState(), revocationStream: stream.state() }),
    close: async () => {
      await stream.stop();
      await subscriber?.quit().catch(() => undefined);
      await agent.close();
    },
  };
}

export type SessionValidator = ReturnType<typeof createSessionValidator>;

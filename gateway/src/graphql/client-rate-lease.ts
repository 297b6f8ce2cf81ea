import type { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';

/**
 * The largest lease as a share of the limit (points / 20). Points a process has leased are
 * unusable by the others until the window ends, so a client spread over P processes may be
 * refused up to (cap − 1) × (P − 1) requests early; a twentieth keeps that under 5% of the limit
 * per other process, while a busy client costs one Redis round trip per 5% of its quota.
 */
const LEASE_CAP_SHARE = 20;

/**
 * Clients whose window this process remembers. The least recently seen is forgotten first, so an
 * attacker rotating addresses must bring this many new ones between two requests of a client to
 * make the process forget it; a forgotten client loses only its unspent leased points (never
 * admitted twice) and costs one more round trip.
 */
const MAX_CLIENTS = 50_000;

/**
 * Reserves ARGV[1] points of the window counter KEYS[1] in one step: a new counter lives ARGV[2]
 * ms (a fixed window from the client's first request). Returns the count after the reservation
 * and the ms the window has left.
 */
const RESERVE_LUA = `
local count = redis.call('INCRBY', KEYS[1], ARGV[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  ttl = tonumber(ARGV[2])
end
return {count, ttl}`;

type ReservingRedis = Redis & { reserveRateLease(key: string, points: number, windowMs: number): Promise<[number, number]> };

export type RateDecision = { admitted: true } | { admitted: false; retryAfterMs: number };
const ADMITTED: RateDecision = { admitted: true };
/** Redis did not answer the lease request: the caller counts this request another way. */
export const LEASE_UNAVAILABLE = Symbol('lease unavailable');

interface ClientWindow {
  /** Points leased from Redis for this window and not yet spent here. */
  unspent: number;
  /** The size of the next lease: 1 first, then doubling up to the cap. */
  nextLease: number;
  /** When the Redis window ends, on this process's monotonic clock, never after Redis's own expiry. */
  endsAt: number;
  /** Redis has handed out the whole quota of this window: refuse here until it ends. */
  exhausted: boolean;
  /** The lease request in flight, shared by concurrent requests of the client. */
  leasing: Promise<typeof LEASE_UNAVAILABLE | undefined> | undefined;
}

/**
 * Per-client fixed windows counted in Redis and spent locally from leases. The quota is reserved
 * in Redis (INCRBY) before any of it is spent, and a lease that crosses the limit is granted only
 * the part under it, so the requests admitted by all processes in a window never exceed `points`.
 */
export function createRateLeases(options: { redis: Redis; points: number; windowSeconds: number; keyPrefix: string; maxClients?: number }) {
  const { points, keyPrefix } = options;
  const windowMs = options.windowSeconds * 1000;
  const leaseCap = Math.max(1, Math.floor(points / LEASE_CAP_SHARE));
  const redis = options.redis as ReservingRedis;
  // defineCommand sends EVALSHA and falls back to EVAL (loading the script) when Redis lacks it.
  redis.defineCommand('reserveRateLease', { numberOfKeys: 1, lua: RESERVE_LUA });
  const windows = new LRUCache<string, ClientWindow>({ max: options.maxClients ?? MAX_CLIENTS });

  const isOver = (window: ClientWindow, now: number) => !window.leasing && window.endsAt <= now;
  const liveWindow = (key: string, now: number): ClientWindow => {
    let window = windows.get(key);
    if (!window || isOver(window, now)) {
      window = { unspent: 0, nextLease: 1, endsAt: 0, exhausted: false, leasing: undefined };
      windows.set(key, window);
    }
    return window;
  };
  const spend = (window: ClientWindow, now: number): RateDecision | undefined => {
    if (window.unspent > 0) {
      window.unspent -= 1;
      return ADMITTED;
    }
    if (window.exhausted) return { admitted: false, retryAfterMs: window.endsAt - now };
    return undefined;
  };

  async function lease(key: string, window: ClientWindow): Promise<typeof LEASE_UNAVAILABLE | undefined> {
    const size = window.nextLease;
    // Taken before asking: Redis's window ends at least `ttl` ms after this moment.
    const sentAt = performance.now();
    let count: number;
    let ttl: number;
    try {
      [count, ttl] = await redis.reserveRateLease(`${keyPrefix}:${key}`, size, windowMs);
    } catch {
      return LEASE_UNAVAILABLE;
    }
    window.unspent += Math.max(0, Math.min(size, points - (count - size)));
    window.exhausted = count >= points;
    window.endsAt = sentAt + ttl;
    window.nextLease = Math.min(leaseCap, size * 2);
    return undefined;
  }

  // Windows that ended are dropped once per window length, so quiet clients do not stay.
  const sweep = setInterval(() => {
    const now = performance.now();
    const over: string[] = [];
    for (const [key, window] of windows.entries()) if (isOver(window, now)) over.push(key);
    for (const key of over) windows.delete(key);
  }, windowMs);
  sweep.unref();

  return {
    /** Decides from this process's leases alone: undefined when a lease is needed. */
    spendLocally(key: string): RateDecision | undefined {
      const now = performance.now();
      const window = windows.get(key);
      return window && !isOver(window, now) ? spend(window, now) : undefined;
    },

    /** Decides, taking a lease from Redis when needed (concurrent requests share one). */
    async take(key: string): Promise<RateDecision | typeof LEASE_UNAVAILABLE> {
      // The same window throughout, even if forgotten meanwhile (many new clients at once):
      // its lease was reserved for this request, and looking it up again would lease again.
      let window = liveWindow(key, performance.now());
      for (;;) {
        const now = performance.now();
        if (isOver(window, now)) window = liveWindow(key, now);
        const decision = spend(window, now);
        if (decision) return decision;
        window.leasing ??= lease(key, window).finally(() => {
          window.leasing = undefined;
        });
        if ((await window.leasing) === LEASE_UNAVAILABLE) return LEASE_UNAVAILABLE;
      }
    },

    /** How many clients this process remembers (bounded by maxClients, ended windows swept). */
    rememberedClients(): number {
      return windows.size;
    },

    close(): void {
      clearInterval(sweep);
    },
  };
}

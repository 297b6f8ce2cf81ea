import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { INTERNAL_TOKEN_HEADER, type InternalTokenVerifier } from '@malet/internal-auth';
import { clientAddress } from '../http/request-meta';
import type { KnownClients } from './known-clients';
import type { LimitRule, RateLimiters } from './rate-limiter';
import {
  DEFAULT_RATE_LIMIT_SETTINGS,
  MAIL_PER_CLIENT_RULE,
  SIGN_IN_ADDRESS_RULES,
  clientKeyOf,
  createRateLimitPolicies,
  type RateLimitPolicy,
  type RateLimitPolicyName,
  type RateLimitSettings,
} from './rate-limit.policies';

/** Enforces the policies of rate-limit.policies.ts; past any limit a 429 with Retry-After, before the handler runs. */
export function createRateLimitGuard(deps: {
  limiters: RateLimiters;
  /** RATE_LIMITS_ENABLED; when false every check passes (tests that do not exercise them). */
  enabled: boolean;
  verifyInternalToken?: InternalTokenVerifier;
  /** Who signed in to an address recently: they skip its ceilings (`exceptKnownClients`). */
  knownClients?: Pick<KnownClients, 'isKnown'>;
  settings?: RateLimitSettings;
}) {
  const policies = createRateLimitPolicies(deps.settings ?? DEFAULT_RATE_LIMIT_SETTINGS);

  async function isInternalCaller(req: Request): Promise<boolean> {
    const raw = req.headers[INTERNAL_TOKEN_HEADER];
    const token = Array.isArray(raw) ? raw[0] : raw;
    if (!token || !deps.verifyInternalToken) return false;
    try {
      await deps.verifyInternalToken(token);
      return true;
    } catch {
      return false;
    }
  }

  /** Counts the request against every check of the policy; throws RateLimitedError (429) past a limit. */
  async function enforce(policy: RateLimitPolicyName | RateLimitPolicy, req: Request): Promise<void> {
    if (!deps.enabled) return;
    const resolved: RateLimitPolicy = typeof policy === 'string' ? policies[policy] : policy;
    if (resolved.exemptInternalCallers && (await isInternalCaller(req))) return;
    for (const check of resolved.checks) {
      const key = check.key(req);
      if (key === null) continue;
      if (check.exceptKnownClients && deps.knownClients && (await deps.knownClients.isKnown(key, clientAddress(req)))) continue;
      await deps.limiters.consume(check.rule, key);
    }
  }

  return {
    enabled: deps.enabled,
    /** Express middleware enforcing a policy before the handler runs. */
    limit(policy: RateLimitPolicyName | RateLimitPolicy): RequestHandler {
      const name = typeof policy === 'string' ? policy : 'custom';
      const handler = function enforceRateLimit(req: Request, _res: Response, next: NextFunction) {
        enforce(policy, req).then(() => next(), next);
      };
      Object.defineProperty(handler, 'name', { value: `enforceRateLimit:${name}` });
      return handler;
    },
    enforce,
    /** Counts one hit for a key read after validation (e.g. an MFA token); 429 past the limit. */
    async consume(rule: LimitRule, key: string): Promise<void> {
      if (deps.enabled) await deps.limiters.consume(rule, key);
    },
    /** Forgets a counter, e.g. an account's failed sign-ins after a success. */
    async reset(rule: LimitRule, key: string): Promise<void> {
      if (deps.enabled) await deps.limiters.reset(rule, key);
    },
    /** A sign-in from `client` to `email` succeeded: that client's counters for the address start again. */
    async forgetClientOf(email: string, client: string | null): Promise<void> {
      if (!deps.enabled || !client) return;
      const key = `${email}|${clientKeyOf(client)}`;
      await Promise.all([deps.limiters.reset(SIGN_IN_ADDRESS_RULES.perClient, key), deps.limiters.reset(MAIL_PER_CLIENT_RULE, key)]);
    },
  };
}

export type RateLimitGuard = ReturnType<typeof createRateLimitGuard>;

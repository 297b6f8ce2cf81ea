import type { GraphQLResolverMap } from '@malet/graphql-server';
import type { OutboxSubscriber } from '@malet/outbox';
import type { RequestHandler, Router } from 'express';
import type { RouteSpec } from './http/route';
import type { MailboxProvenHook } from './identities/mailbox-proof';
import type { SignInMethodsProvider } from './identities/sign-in-methods';
import type { SignInProvider } from './sign-in/sign-in-provider';
import type { MfaGate, SignInGuard } from './sign-in/sign-in-gate';
import type { AuthGraphqlContext } from './graphql-context';

/** A task run every `everyMs` while the service is up (sweeps of expired rows). */
export interface ScheduledJob {
  name: string;
  everyMs: number;
  run(): Promise<unknown>;
}

/**
 * What a feature module hands to `app.ts`. Every feature folder exports one
 * `create<Feature>Module(core, ...)` returning this: its routes (declared once, see
 * core/http/route.ts), its resolvers for `src/schema.graphql`, and its part in core's seams.
 */
export interface AuthModule {
  name: string;
  routes?: RouteSpec[];
  /** Static files under a path prefix (Swagger UI's assets), mounted after the routes. */
  assets?: { path: string; handlers: RequestHandler[] };
  /** Merged with the other modules' resolvers, type by type, into the auth subgraph. */
  resolvers?: GraphQLResolverMap<AuthGraphqlContext>;
  /**
   * Endpoints for other services only (`/internal/...`): mounted behind the internal-token
   * check, never documented in the public OpenAPI document. Each route names the callers it
   * serves (`allowCallers(['scim'])` from @malet/internal-auth); any other caller gets 403.
   */
  internalRoutes?: Router;
  /** Other services' event endpoints that should receive some of the module's outbox topics. */
  eventSubscribers?: OutboxSubscriber[];
  /** Asked by `completeSignIn` whether an account may sign in at all (the provisioning feature). */
  signInGuard?: SignInGuard;
  /** The second-factor check `completeSignIn` runs after every first factor (the MFA feature). */
  mfaGate?: MfaGate;
  /** Its part in retiring an unproven holder's access when the mailbox owner proves the address. */
  onMailboxProven?: MailboxProvenHook;
  /** The sign-in methods it holds for a user (a password, passkeys), so none removes the last one. */
  signInMethods?: SignInMethodsProvider;
  /** Buttons for the hosted sign-in page (a social provider's "Continue with ..."). */
  signInProviders?: SignInProvider[];
  jobs?: ScheduledJob[];
  /** Runs once the service is about to take traffic (seeding dev users). */
  start?(): Promise<void>;
  close?(): Promise<void>;
}

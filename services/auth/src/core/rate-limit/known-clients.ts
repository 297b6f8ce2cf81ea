import { createHash } from 'node:crypto';
import { and, eq, gt, lt, sql, type SQL } from 'drizzle-orm';
import type { Clock } from '../clock';
import type { AuthDb } from '../db';
import { clientKeyOf } from './rate-limit.policies';
import { knownSignInClients } from './known-client.tables';

/** How long a successful sign-in keeps its client known for the address. */
export const KNOWN_CLIENT_DAYS = 30;

/**
 * Which clients signed in to an address recently (known-client.tables.ts). Addresses are the
 * normalised email; clients the request's address, grouped as rate limits group them.
 */
export function createKnownClients(deps: { db: AuthDb; clock: Clock }) {
  const keyOf = (email: string, client: string) => createHash('sha256').update(`known-client:${email}|${clientKeyOf(client)}`).digest('hex');
  const horizon = () => new Date(deps.clock.now().getTime() - KNOWN_CLIENT_DAYS * 86_400_000);

  /**
   * The upsert that remembers that `client` just signed in to `email` (a sign-in answered with a
   * session), not yet sent: it is stored with the sign-in. Null without a client.
   */
  const rememberWrite = (email: string, client: string | null) => {
    if (!client) return null;
    const now = deps.clock.now();
    return deps.db
      .insert(knownSignInClients)
      .values({ keyHash: keyOf(email, client), lastSignedInAt: now })
      .onConflictDoUpdate({ target: knownSignInClients.keyHash, set: { lastSignedInAt: now } });
  };

  /** Whether `client` signed in to `email` within the last KNOWN_CLIENT_DAYS days, as SQL (for a query that reads more). */
  const isKnownExpression = (email: string, client: string | null): SQL<boolean> =>
    client
      ? sql<boolean>`exists (select 1 from ${knownSignInClients} where ${and(eq(knownSignInClients.keyHash, keyOf(email, client)), gt(knownSignInClients.lastSignedInAt, horizon()))})`
      : sql<boolean>`false`;

  return {
    rememberWrite,

    /** Whether `client` signed in to `email` within the last KNOWN_CLIENT_DAYS days. */
    async isKnown(email: string, client: string | null): Promise<boolean> {
      if (!client) return false;
      const [row] = await deps.db
        .select({ keyHash: knownSignInClients.keyHash })
        .from(knownSignInClients)
        .where(and(eq(knownSignInClients.keyHash, keyOf(email, client)), gt(knownSignInClients.lastSignedInAt, horizon())))
        .limit(1);
      return row !== undefined;
    },

    isKnownExpression,

    /** Forgets clients not seen for KNOWN_CLIENT_DAYS days (a scheduled job); returns how many. */
    async purgeStale(): Promise<number> {
      const rows = await deps.db.delete(knownSignInClients).where(lt(knownSignInClients.lastSignedInAt, horizon())).returning({ keyHash: knownSignInClients.keyHash });
      return rows.length;
    },
  };
}

export type KnownClients = ReturnType<typeof createKnownClients>;

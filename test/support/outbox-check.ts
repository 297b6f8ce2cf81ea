import pg from 'pg';
import { expect } from 'vitest';
import { waitFor } from '@malet/testing';

/**
 * Proves that no outbox event was lost: every account that sign-ups reported as created exists
 * in auth; auth's outbox drains (every row delivered); and every `user.created` event it ever
 * wrote, including those of requests whose answer a fault cut off, was applied by users exactly
 * once (its id in users' processed events, a profile for its user).
 */
export async function expectNoOutboxEventLost(databaseUrls: Record<string, string>, createdEmails: string[], timeoutMs = 120_000) {
  const auth = new pg.Pool({ connectionString: databaseUrls.auth, max: 1 });
  const users = new pg.Pool({ connectionString: databaseUrls.users, max: 1 });
  try {
    const known = await auth.query<{ email: string }>('select email from identities where email = any($1)', [createdEmails]);
    const missingAccounts = createdEmails.filter((email) => !known.rows.some((row) => row.email === email));
    if (missingAccounts.length > 0) throw new Error(`sign-ups answered 201 but no account exists: ${missingAccounts.slice(0, 5).join(', ')}`);

    await waitFor(
      async () => (await auth.query<{ pending: number }>('select count(*)::int as pending from outbox where delivered_at is null')).rows[0]!.pending === 0,
      { timeoutMs, intervalMs: 250, what: 'auth\'s outbox to drain' },
    );
    const events = await auth.query<{ id: string; user_id: string }>(
      "select id, payload->>'user_id' as user_id from outbox where topic = 'user.created'",
    );
    const applied = await users.query<{ event_id: string }>('select event_id from processed_events where event_id = any($1)', [events.rows.map((row) => row.id)]);
    const profiles = await users.query<{ id: string }>('select id from profiles where id = any($1)', [events.rows.map((row) => row.user_id)]);
    const appliedIds = new Set(applied.rows.map((row) => row.event_id));
    const profileIds = new Set(profiles.rows.map((row) => row.id));
    expect(events.rows.length).toBeGreaterThanOrEqual(createdEmails.length);
    expect(events.rows.filter((row) => !appliedIds.has(row.id)).map((row) => row.id), 'user.created events users never applied').toEqual([]);
    expect(events.rows.filter((row) => !profileIds.has(row.user_id)).map((row) => row.user_id), 'users without a profile').toEqual([]);
  } finally {
    await Promise.all([auth.end(), users.end()]);
  }
}

import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createCredentialRepository } from '../src/features/passwords/credential.repository';
import { createPasswordHasher } from '../src/features/passwords/password-hasher';
import { STRONG, login, startAuthForFile } from './support';

/**
 * What a password sign-in costs the database, and that what it stores is stored whole: one read
 * before the verification, one statement after it for the session, its refresh token, the
 * cleared failure counter, the known client and the audit row with its event.
 */
const { auth } = startAuthForFile();

const hasher = createPasswordHasher();
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
/** The lockout's counter for strangers to an address (lockout.service.ts). */
const strangersCounter = (email: string) => sha256(`password-failures:${email}`);

async function passwordAccount(email: string) {
  const { identity } = await auth.identities.createWithEvent({ email, verified: true });
  await createCredentialRepository(auth.db).setPasswordHash(identity.id, await hasher.hash(STRONG), new Date());
  return identity;
}

/**
 * The request's own statements: the outbox and mail relays poll the same pool in the background
 * (each second, and when woken), and one of their polls may land while a sign-in runs.
 */
const ownStatements = (statements: string[]) => statements.filter((statement) => !/^\s*(select\b[^]*\bfrom|update) "(mail_)?outbox"/.test(statement));

const countOf = async (query: ReturnType<typeof sql>) => Number((await auth.rows(query))[0]!.n);

describe('a password sign-in', () => {
  it('reads once before verifying and stores the session, refresh token, cleared counter, known client and audit event in one statement', async () => {
    const email = 'one.statement@example.com';
    const user = await passwordAccount(email);
    const client = { 'x-forwarded-for': '198.51.100.71' };
    expect((await login(auth, email, 'not-the-password-1', client)).status).toBe(401);
    expect(await countOf(sql`select count(*)::int as n from password_failures where email_hash = ${strangersCounter(email)}`)).toBe(1);

    let answer: Awaited<ReturnType<typeof login>> | undefined;
    const statements = ownStatements(
      await auth.statementsDuring(async () => {
        answer = await login(auth, email, STRONG, client);
      }),
    );
    expect(answer!.status).toBe(200);

    // The state read, the sign-in guard (asked again once the session is stored), the MFA gate, and the write.
    expect(statements, statements.join('\n')).toHaveLength(5);
    expect(statements.filter((statement) => /^\s*(begin|commit)\b/i.test(statement))).toEqual([]);
    const reads = statements.filter((statement) => /"identities"/.test(statement));
    expect(reads).toHaveLength(1);
    expect(reads[0]).toMatch(/"password_credentials"/);
    expect(reads[0]).toMatch(/"password_failures"/);
    expect(reads[0]).toMatch(/"known_sign_in_clients"/);
    const writes = statements.filter((statement) => /\b(insert|delete|update)\b/i.test(statement));
    expect(writes).toHaveLength(1);
    for (const part of ['insert into "sessions"', 'insert into "refresh_tokens"', 'delete from "password_failures"', 'insert into "known_sign_in_clients"', 'insert into "audit_events"', 'insert into "outbox"']) {
      expect(writes[0]).toContain(part);
    }

    const token = String(answer!.body.session_token);
    const [session] = await auth.rows(sql`select id from sessions where token_hash = ${sha256(token)} and user_id = ${user.id}`);
    expect(session).toBeDefined();
    expect(await countOf(sql`select count(*)::int as n from refresh_tokens where session_id = ${session!.id}`)).toBe(1);
    expect(await countOf(sql`select count(*)::int as n from password_failures where email_hash = ${strangersCounter(email)}`)).toBe(0);
    expect(await countOf(sql`select count(*)::int as n from known_sign_in_clients`)).toBeGreaterThan(0);
    const [audit] = await auth.rows(sql`select id, occurred_at from audit_events where user_id = ${user.id} and type = 'signin' and outcome = 'success'`);
    const events = await auth.rows(sql`select payload from outbox where topic = 'audit.security_event' and payload->>'id' = ${String(audit!.id)}`);
    expect(events).toHaveLength(1);
    expect(events[0]!.payload).toEqual({
      id: audit!.id,
      occurred_at: new Date(String(audit!.occurred_at)).toISOString(),
      type: 'signin',
      outcome: 'success',
      user_id: user.id,
      method: 'pwd',
      ip: '198.51.100.71',
      user_agent: expect.anything(),
      details: {},
    });
  });

  it('costs a wrong password one read, the counted failure and the audit event: three statements', async () => {
    const email = 'three.statements@example.com';
    const user = await passwordAccount(email);
    let status = 0;
    const statements = ownStatements(
      await auth.statementsDuring(async () => {
        status = (await login(auth, email, 'not-the-password-2', { 'x-forwarded-for': '198.51.100.72' })).status;
      }),
    );
    expect(status).toBe(401);
    expect(statements, statements.join('\n')).toHaveLength(3);
    const [audit] = await auth.rows(sql`select id from audit_events where user_id = ${user.id} and type = 'signin' and outcome = 'failure'`);
    expect(await auth.rows(sql`select id from outbox where payload->>'id' = ${String(audit!.id)}`)).toHaveLength(1);
  });

  it('stores nothing when one of its writes fails: no session or refresh token without the audit row, the failure counter kept', async () => {
    const email = 'all.or.nothing@example.com';
    const user = await passwordAccount(email);
    const client = { 'x-forwarded-for': '198.51.100.73' };
    expect((await login(auth, email, 'not-the-password-3', client)).status).toBe(401);
    const knownClientsBefore = await countOf(sql`select count(*)::int as n from known_sign_in_clients`);
    const eventsBefore = await countOf(sql`select count(*)::int as n from outbox`);

    // The database refuses this client's sign-in audit row, as a full disk or a lost privilege would.
    await auth.db.execute(sql`
      create function refuse_signin_audit() returns trigger language plpgsql as $$
      begin
        if new.ip = '198.51.100.73' and new.type = 'signin' and new.outcome = 'success' then raise exception 'audit write refused'; end if;
        return new;
      end $$`);
    await auth.db.execute(sql`create trigger refuse_signin_audit before insert on audit_events for each row execute function refuse_signin_audit()`);
    try {
      const refused = await login(auth, email, STRONG, client);
      expect(refused.status).toBe(500);
      expect(refused.body).toMatchObject({ status: 500, code: expect.any(String) });
      expect(refused.headers.get('set-cookie')).toBeNull();
    } finally {
      await auth.db.execute(sql`drop trigger refuse_signin_audit on audit_events`);
      await auth.db.execute(sql`drop function refuse_signin_audit()`);
    }
    expect(await countOf(sql`select count(*)::int as n from sessions where user_id = ${user.id}`)).toBe(0);
    expect(await countOf(sql`select count(*)::int as n from refresh_tokens where user_id = ${user.id}`)).toBe(0);
    expect(await countOf(sql`select count(*)::int as n from password_failures where email_hash = ${strangersCounter(email)}`)).toBe(1);
    expect(await countOf(sql`select count(*)::int as n from known_sign_in_clients`)).toBe(knownClientsBefore);
    expect(await countOf(sql`select count(*)::int as n from outbox`)).toBe(eventsBefore);

    // With the database accepting the audit row again, the same sign-in stores everything.
    expect((await login(auth, email, STRONG, client)).status).toBe(200);
    expect(await countOf(sql`select count(*)::int as n from sessions where user_id = ${user.id}`)).toBe(1);
    expect(await countOf(sql`select count(*)::int as n from password_failures where email_hash = ${strangersCounter(email)}`)).toBe(0);
  });
});

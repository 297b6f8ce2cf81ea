import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createTestClock, enrollTotp, signedInUser, startAuthForFile, startMfaChallenge } from './support';

const clock = createTestClock();
const { auth, api } = startAuthForFile({ clock });

describe('backup codes', () => {
  it('are ten distinct xxxxx-xxxxx codes, stored only as SHA-256 hashes', async () => {
    const { user, headers } = await signedInUser(auth, 'backup-format@example.com');
    const { backupCodes } = await enrollTotp(api, headers, clock);
    expect(backupCodes).toHaveLength(10);
    for (const code of backupCodes) expect(code).toMatch(/^[0-9a-hjkmnp-tv-z]{5}-[0-9a-hjkmnp-tv-z]{5}$/);
    const rows = await auth.db.execute(sql`select code_hash, used_at from mfa_backup_codes where user_id = ${user.id}`);
    expect(rows.rows).toHaveLength(10);
    const stored = JSON.stringify(rows.rows);
    for (const code of backupCodes) {
      expect(stored).not.toContain(code);
      expect(stored).not.toContain(code.replace('-', ''));
    }
    const expected = backupCodes.map((code) => createHash('sha256').update(`mfa-backup:${code.replace('-', '')}`).digest('hex'));
    expect(rows.rows.map((row) => row.code_hash).sort()).toEqual(expected.sort());
  });

  it('complete a sign-in once each; typing variants are accepted; a used code is refused', async () => {
    const { user, headers } = await signedInUser(auth, 'backup-login@example.com');
    const { backupCodes } = await enrollTotp(api, headers, clock);
    const [first, second] = backupCodes as [string, string];

    let challenge = await startMfaChallenge(auth.completeSignIn, user, 'password');
    const ok = await api.post('/auth/mfa/backup', { mfa_token: challenge.mfaToken, code: ` ${first.toUpperCase().replace('-', ' ')} ` });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ user: { id: user.id } });
    const validated = await api.post('/validate-token', undefined, { authorization: `Bearer ${String(ok.body.session_token)}` });
    expect(validated.body).toMatchObject({ amr: ['password', 'mfa', 'backup_code'] });
    expect((await api.get('/auth/mfa/status', headers)).body).toMatchObject({ backup_codes_remaining: 9 });

    challenge = await startMfaChallenge(auth.completeSignIn, user, 'password');
    const reused = await api.post('/auth/mfa/backup', { mfa_token: challenge.mfaToken, code: first });
    expect(reused.status).toBe(401);
    expect(reused.body).toMatchObject({ code: 'mfa:invalid_code' });
    // The failed answer did not consume the challenge: a valid code still completes it.
    expect((await api.post('/auth/mfa/backup', { mfa_token: challenge.mfaToken, code: second })).status).toBe(200);

    const audit = await auth.db.execute(sql`select type from audit_events where user_id = ${user.id} and type = 'mfa.backup_code_used'`);
    expect(audit.rows).toHaveLength(2);
  });

  it('a backup code is spent once even when two sign-ins race with it', async () => {
    const { user, headers } = await signedInUser(auth, 'backup-race@example.com');
    const { backupCodes } = await enrollTotp(api, headers, clock);
    const challenges = await Promise.all(Array.from({ length: 10 }, () => startMfaChallenge(auth.completeSignIn, user)));
    const answers = await Promise.all(challenges.map((c) => api.post('/auth/mfa/backup', { mfa_token: c.mfaToken, code: backupCodes[0] })));
    expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 401)).toHaveLength(9);
  });

  it('regenerate needs a current TOTP code and replaces every old code', async () => {
    const { user, headers } = await signedInUser(auth, 'backup-regen@example.com');
    const { app, backupCodes } = await enrollTotp(api, headers, clock);
    clock.advance(30_000);

    expect((await api.post('/auth/mfa/backup/regenerate', {}, headers)).status).toBe(400);
    // A backup code cannot mint new backup codes.
    expect((await api.post('/auth/mfa/backup/regenerate', { code: backupCodes[0] }, headers)).status).toBe(400);
    expect((await api.post('/auth/mfa/backup/regenerate', { code: app.code(4) }, headers)).status).toBe(403);

    const regenerated = await api.post('/auth/mfa/backup/regenerate', { code: app.code() }, headers);
    expect(regenerated.status).toBe(200);
    const fresh = regenerated.body.backup_codes as string[];
    expect(fresh).toHaveLength(10);
    expect(fresh.some((code) => backupCodes.includes(code))).toBe(false);
    // The same TOTP code does not work twice.
    expect((await api.post('/auth/mfa/backup/regenerate', { code: app.code() }, headers)).status).toBe(403);

    const challenge = await startMfaChallenge(auth.completeSignIn, user);
    expect((await api.post('/auth/mfa/backup', { mfa_token: challenge.mfaToken, code: backupCodes[1] })).status).toBe(401);
    expect((await api.post('/auth/mfa/backup', { mfa_token: challenge.mfaToken, code: fresh[0] })).status).toBe(200);
    const audit = await auth.db.execute(sql`select outcome from audit_events where user_id = ${user.id} and type = 'mfa.backup_codes_regenerated' order by occurred_at`);
    expect(audit.rows.map((row) => row.outcome)).toEqual(['failure', 'success', 'failure']);
  });

  it('disable accepts an unused backup code (the lost-phone case)', async () => {
    const { user, headers } = await signedInUser(auth, 'backup-disable@example.com');
    const { backupCodes } = await enrollTotp(api, headers, clock);
    expect((await api.post('/auth/mfa/disable', { code: 'zzzzz-zzzzz' }, headers)).status).toBe(403);
    const disabled = await api.post('/auth/mfa/disable', { code: backupCodes[3] }, headers);
    expect(disabled.status).toBe(200);
    expect(await auth.completeSignIn({ user, method: 'password', meta: { ip: null, userAgent: null } })).toMatchObject({ kind: 'session' });
  });

  it('regenerate and disable refuse an account without MFA', async () => {
    const { headers } = await signedInUser(auth, 'backup-none@example.com');
    expect((await api.post('/auth/mfa/backup/regenerate', { code: '123456' }, headers)).body).toMatchObject({ status: 409, code: 'mfa:not_enabled' });
    expect((await api.get('/auth/mfa/status', headers)).body).toMatchObject({ enabled: false, backup_codes_remaining: 0 });
  });
});

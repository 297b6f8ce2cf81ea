/**
 * Deprovisioning end to end: a SCIM call that deactivates or deletes a user ends that user's
 * sessions at the gateway and refuses their sign-in; reactivation restores sign-in. The gateway's
 * credential cache keeps entries 10 minutes here, so only the revocation path (auth revokes and
 * publishes on Redis, every gateway evicts) can make it refuse a session it already vouched for.
 * How fast that happens is measured in `pnpm bench scim`, not asserted here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSmtpCatcher, waitFor, type SmtpCatcher } from '@malet/testing';
import { newUser, startScimSuite, type ScimSuite, type ScimTenant } from './scim-suite';

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

let smtp: SmtpCatcher;
let scim: ScimSuite;
let tenant: ScimTenant;
beforeAll(async () => {
  smtp = await startSmtpCatcher();
  scim = await startScimSuite({ gateways: 2, env: { auth: { SMTP_URL: smtp.url, RATE_LIMITS_ENABLED: 'false' }, gateway: { SESSION_CACHE_TTL_MS: '600000' } } });
  tenant = await scim.tenant();
});
afterAll(async () => {
  await scim?.stop();
  await smtp?.stop();
});

/** Whether every gateway refuses the session (checked on each, as a client could reach any). */
async function refusedEverywhere(token: string): Promise<boolean> {
  const answers = await Promise.all(scim.suite.gatewayUrls.map((url) => scim.suite.graphql('{ me { id } }', { token, url })));
  return answers.every((answer) => answer.status === 401 || answer.errors?.[0]?.extensions?.code === 'UNAUTHENTICATED');
}

async function acceptedEverywhere(token: string): Promise<boolean> {
  const answers = await Promise.all(scim.suite.gatewayUrls.map((url) => scim.suite.graphql<{ me: { id: string } }>('{ me { id } }', { token, url })));
  return answers.every((answer) => answer.data?.me?.id !== undefined);
}

/** Signs in with an emailed code, as a person would; answers the finish call's status and body. */
async function signInWithEmailCode(email: string) {
  const started = Date.now();
  const start = await fetch(`${scim.suite.urls.auth}/auth/email/login/start`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email }) });
  expect(start.status).toBe(200);
  const mail = await smtp.waitForMail(email, (m) => (m.parsed.date?.getTime() ?? 0) >= started - 1_000 && /\b\d{6}\b/.test(m.text));
  const code = /\b(\d{6})\b/.exec(mail.text)![1];
  smtp.messages.splice(smtp.messages.indexOf(mail), 1);
  const finish = await fetch(`${scim.suite.urls.auth}/auth/email/login/finish`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, code }) });
  return { status: finish.status, body: (await finish.json()) as Record<string, unknown> };
}

async function provision() {
  const body = newUser(tenant);
  const created = await scim.scim(tenant, 'POST', '/Users', body);
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const signedIn = await signInWithEmailCode(body.userName);
  expect(signedIn.status).toBe(200);
  const token = signedIn.body.session_token as string;
  expect(await acceptedEverywhere(token)).toBe(true);
  return { id: created.body.id as string, email: body.userName, token };
}

const waitUntil = (check: () => Promise<boolean>, what: string) => waitFor(check, { timeoutMs: 15_000, intervalMs: 20, what });

describe('deprovisioning through SCIM', () => {
  it('deactivation (Okta\'s PATCH) ends the sessions at every gateway and refuses sign-in; reactivation (Entra\'s) allows it again', async () => {
    const user = await provision();
    const deactivated = await scim.scim(tenant, 'PATCH', `/Users/${user.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: false } }] });
    expect(deactivated.status).toBe(200);
    await waitUntil(() => refusedEverywhere(user.token), 'every gateway to refuse the deactivated user\'s session');
    const refused = await signInWithEmailCode(user.email);
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 'auth:account_deactivated' });
    expect(refused.body).not.toHaveProperty('session_token');

    await scim.scim(tenant, 'PATCH', `/Users/${user.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'active', value: 'True' }] });
    const restored = await waitFor(
      async () => {
        const attempt = await signInWithEmailCode(user.email);
        return attempt.status === 200 ? attempt : null;
      },
      { timeoutMs: 15_000, intervalMs: 100, what: 'sign-in after reactivation' },
    );
    expect(await acceptedEverywhere(restored.body.session_token as string)).toBe(true);
    // The sessions that deactivation ended stay ended.
    expect(await refusedEverywhere(user.token)).toBe(true);
  });

  it('deletion ends the sessions and refuses sign-in for good', async () => {
    const user = await provision();
    expect((await scim.scim(tenant, 'DELETE', `/Users/${user.id}`)).status).toBe(204);
    await waitUntil(() => refusedEverywhere(user.token), 'every gateway to refuse the deleted user\'s session');
    const refused = await signInWithEmailCode(user.email);
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 'auth:account_deactivated' });
  });

  it('a user of the same organization who is not deprovisioned keeps their session', async () => {
    const [leaving, staying] = [await provision(), await provision()];
    await scim.scim(tenant, 'PATCH', `/Users/${leaving.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'active', value: false }] });
    await waitUntil(() => refusedEverywhere(leaving.token), 'the deactivated session to be refused');
    expect(await acceptedEverywhere(staying.token)).toBe(true);
  });
});

import { randomUUID } from 'node:crypto';
import { drizzle } from 'drizzle-orm/node-postgres';
import { inject } from 'vitest';
import { applyMigrations } from '@malet/database';
import { startHttpServer } from '@malet/http-server';
import { createInternalTokenSigner, INTERNAL_TOKEN_HEADER } from '@malet/internal-auth';
import { createLogger } from '@malet/logging';
import { createTestDatabase, startDnsServer, startSmtpCatcher } from '@malet/testing';
import { createOrganizationsApp } from '../src/app';
import { loadOrganizationsConfig } from '../src/config';
import { createOrganizationsDatabase, migrationsFolder } from '../src/data/db';
import * as schema from '../src/data/schema';

export interface TestUser {
  id: string;
  email: string;
}

/**
 * The organizations service on a fresh database with a real SMTP catcher and a real DNS server,
 * listening on loopback. Invitation mail goes through the service's own mail relay (queued in
 * its mail_outbox, sent to the catcher), exactly as in production. `graphql` calls the subgraph as the gateway would, with an internal
 * token for the given user. `queries` counts the SQL statements the service ran.
 */
export async function startOrganizationsTestInstance(env: Record<string, string> = {}) {
  const database = await createTestDatabase(inject('postgresAdminUrl'), 'organizations');
  let smtp = await startSmtpCatcher();
  let smtpListening = true;
  const dns = await startDnsServer();
  const config = loadOrganizationsConfig({ DATABASE_URL: database.url, LOG_LEVEL: 'silent', SMTP_URL: smtp.url, DNS_SERVERS: dns.address, ...env });
  const logger = createLogger({ service: 'organizations', level: 'silent' });
  const pool = createOrganizationsDatabase(config.databaseUrl);
  await applyMigrations(pool.pool, migrationsFolder);
  const queries = { count: 0 };
  const db = drizzle(pool.pool, { schema, logger: { logQuery: () => void (queries.count += 1) } });
  const organizations = await createOrganizationsApp({ config, logger, db, ping: pool.ping });
  const server = await startHttpServer(organizations.app, { port: 0, host: '127.0.0.1', logger });
  const signerFor = (issuer: 'gateway' | 'scim') => createInternalTokenSigner({ secret: config.internalTokenSecret, issuer });
  const [asGateway, asScim] = [signerFor('gateway'), signerFor('scim')];
  const signAs = (user: TestUser | null, sign = asGateway) =>
    sign({ userId: user?.id ?? null, email: user?.email ?? null, sessionId: null, orgId: null, roles: [], amr: [] });

  return {
    url: server.url,
    /** The SMTP server now listening (a new one, on the same port, after `startSmtpAgain`). */
    get smtp() {
      return smtp;
    },
    /** An SMTP outage: nothing listens on the service's SMTP_URL until `startSmtpAgain`. */
    async stopSmtp() {
      await smtp.stop();
      smtpListening = false;
    },
    async startSmtpAgain() {
      smtp = await startSmtpCatcher({ port: smtp.port });
      smtpListening = true;
      return smtp;
    },
    dns,
    queries,
    pool: pool.pool,
    newUser(name = 'user'): TestUser {
      return { id: randomUUID(), email: `${name}-${randomUUID().slice(0, 8)}@example.com` };
    },
    async graphql<T = Record<string, unknown>>(user: TestUser | null, query: string, variables: Record<string, unknown> = {}) {
      const response = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [INTERNAL_TOKEN_HEADER]: await signAs(user) },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await response.json()) as { data?: T; errors?: { message: string; extensions?: { code?: string; reason?: string } }[] };
      return { ...body, code: body.errors?.[0]?.extensions?.reason };
    },
    /** Calls an internal endpoint as the SCIM service, the caller the ones tested here (token checks, provisioning events) serve. */
    async internal(path: string, body: unknown) {
      const response = await fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [INTERNAL_TOKEN_HEADER]: await signAs(null, asScim) },
        body: JSON.stringify(body),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    },
    /** A GET from another service (by default auth, reading a SAML connection); `caller: null` sends no token. */
    async internalGet(path: string, options: { caller?: 'auth' | 'gateway' | null } = {}) {
      const caller = options.caller === undefined ? 'auth' : options.caller;
      const token = caller && (await createInternalTokenSigner({ secret: config.internalTokenSecret, issuer: caller })({ userId: null, email: null, sessionId: null, orgId: null, roles: [], amr: [] }));
      const response = await fetch(`${server.url}${path}`, { headers: token ? { [INTERNAL_TOKEN_HEADER]: token } : {} });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    },
    /** An organization owned by `owner`. */
    async createOrganization(owner: TestUser, slug = `org-${randomUUID().slice(0, 8)}`) {
      const result = await this.graphql<{ createOrganization: { id: string; slug: string } }>(owner, 'mutation($slug: String!) { createOrganization(name: "Acme", slug: $slug) { id slug } }', { slug });
      if (!result.data) throw new Error(JSON.stringify(result.errors));
      return result.data.createOrganization;
    },
    /** Invites `invitee` (mail through the real SMTP catcher) and returns the invitation id and the mailed token. */
    async invite(inviter: TestUser, organizationId: string, invitee: TestUser, role: 'ADMIN' | 'MEMBER' = 'MEMBER') {
      const result = await this.graphql<{ inviteMember: { id: string } }>(
        inviter,
        'mutation($o: ID!, $e: String!, $r: OrganizationRole) { inviteMember(organizationId: $o, email: $e, role: $r) { id } }',
        { o: organizationId, e: invitee.email.toUpperCase(), r: role },
      );
      if (!result.data) throw new Error(JSON.stringify(result.errors));
      // Each test user has an address of its own: the newest mail to it is this invitation.
      const mail = await smtp.waitForMail(invitee.email);
      return { id: result.data.inviteMember.id, token: /inv_[A-Za-z0-9_-]{43}/.exec(mail.text)![0] };
    },
    /** Adds `user` to the organization with `role` through the real invitation flow. */
    async join(organizationId: string, inviter: TestUser, user: TestUser, role: 'ADMIN' | 'MEMBER') {
      const { token } = await this.invite(inviter, organizationId, user, role);
      const accepted = await this.graphql(user, 'mutation($t: String!) { acceptInvitation(token: $t) { id } }', { t: token });
      if (accepted.errors) throw new Error(JSON.stringify(accepted.errors));
    },
    async stop() {
      await server.close();
      await organizations.close();
      await pool.close();
      await database.drop();
      if (smtpListening) await smtp.stop();
      dns.close();
    },
  };
}

export type OrganizationsTestInstance = Awaited<ReturnType<typeof startOrganizationsTestInstance>>;

import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { startAuthForFile } from './support';

const { auth, api } = startAuthForFile({ seed: ['user@example.com'] });

/**
 * Row counts of everything a passwordless request could write, and the mails caught, once auth's
 * background work (where mail goes out) has settled: absence proved on the real signal.
 */
async function footprint() {
  await auth.background.settled();
  const [counts] = await auth.rows(sql`
    select (select count(*)::int from login_challenges) as challenges,
           (select count(*)::int from identities) as identities,
           (select count(*)::int from sessions) as sessions,
           (select count(*)::int from outbox) as outbox`);
  return { ...counts, mails: (await auth.mailCount()) };
}

const post = (path: string, body: string, contentType = 'application/json') => api.post(path, body, { 'content-type': contentType });

/** Email spellings that must be refused: not one of them may reach the database or a mailbox. */
const hostileEmails: unknown[] = [
  'ü@example.com',
  'user@exämple.com',
  'user\u200b@example.com', // zero-width space
  '\u202euser@example.com', // right-to-left override
  'user\uff20example.com', // fullwidth commercial at
  'u\u017fer@example.com', // long s (upper-cases to S)
  'x@\u212aelvin.com', // Kelvin sign (lower-cases to k)
  'user@example.com\u0000',
  'user@example.com\n',
  ' user@example.com',
  '\ud83d\ude00@example.com',
  '\ud800@example.com', // lone surrogate
  'user@@example.com',
  'user@example',
  '"quoted"@example.com',
  `${'a'.repeat(250)}@example.com`,
  '',
  123,
  null,
  true,
  ['user@example.com'],
  { $ne: '' },
];

describe('bad input: 4xx with a code, never a 500, and nothing stored or sent', () => {
  const jsonBodies: [string, string][] = [
    ['/auth/email/login/start', '{"email": "user@example.com"'],
    ['/auth/email/login/finish', '{"email": "user@example.com", "code": }'],
    ['/auth/magic-link/start', '{"email": '],
    ['/auth/magic-link/verify', 'token=ml_'],
  ];

  it.each(jsonBodies)('%s refuses malformed JSON', async (path, body) => {
    const before = await footprint();
    const response = await post(path, body);
    expect(response.status).toBe(400);
    expect((response.body as { code: string }).code).toMatch(/^request:/);
    expect(await footprint()).toEqual(before);
  });

  it.each([
    ['/auth/email/login/start', (email: unknown) => ({ email })],
    ['/auth/email/login/finish', (email: unknown) => ({ email, code: '123456' })],
    ['/auth/magic-link/start', (email: unknown) => ({ email })],
  ] as const)('%s refuses every hostile email spelling', async (path, bodyFor) => {
    const before = await footprint();
    for (const email of hostileEmails) {
      const response = await post(path, JSON.stringify(bodyFor(email)));
      expect(response.status, JSON.stringify(email)).toBe(400);
      const body = response.body as { code: string; fields: string[]; details: string };
      expect(body.code).toBe('request:invalid');
      expect(body.fields).toContain('email');
      // Paths, never values: the input is not echoed back.
      if (typeof email === 'string' && email.length > 3) expect(body.details).not.toContain(email);
    }
    expect(await footprint()).toEqual(before);
  });

  it('refuses wrong body shapes, unknown fields and non-JSON bodies', async () => {
    const before = await footprint();
    const cases: [string, string, string?][] = [
      ['/auth/email/login/start', '[]'],
      ['/auth/email/login/start', '"user@example.com"'],
      ['/auth/email/login/start', 'null'],
      ['/auth/email/login/start', '{}'],
      ['/auth/email/login/start', '{"email":"user@example.com","admin":true}'],
      ['/auth/email/login/start', '{"email":"user@example.com","__proto__":{"x":1}}'],
      ['/auth/email/login/start', '{"email":"user@example.com"}', 'text/plain'],
      ['/auth/magic-link/start', '{"email":"user@example.com","return_to":42}'],
      ['/auth/magic-link/start', JSON.stringify({ email: 'user@example.com', return_to: `http://localhost:3000/${'a'.repeat(3000)}` })],
      ['/auth/magic-link/verify', '{"token":123}'],
      ['/auth/magic-link/verify', JSON.stringify({ token: `ml_${'a'.repeat(500)}` })],
      ['/auth/magic-link/verify', '{"token":""}'],
      ['/auth/dev/token', '{"email":["user@example.com"]}'],
    ];
    for (const [path, body, type] of cases) {
      const response = await post(path, body, type);
      expect(response.status, `${path} ${body.slice(0, 60)}`).toBe(400);
      expect((response.body as { code: string }).code).toMatch(/^request:/);
    }
    expect(await footprint()).toEqual(before);
  });

  it('refuses codes that are not exactly six ASCII digits', async () => {
    const before = await footprint();
    const codes: unknown[] = [123456, '12345', '1234567', ' 123456', '123456 ', '\uff11\uff12\uff13\uff14\uff15\uff16', '\u0661\u0662\u0663\u0664\u0665\u0666', '12345\u0000', '1e5000', null, ['123456']];
    for (const code of codes) {
      const response = await post('/auth/email/login/finish', JSON.stringify({ email: 'user@example.com', code }));
      expect(response.status, JSON.stringify(code)).toBe(400);
      expect(response.body).toMatchObject({ code: 'request:invalid', fields: ['code'] });
    }
    expect(await footprint()).toEqual(before);
  });

  it('refuses oversize bodies with 413', async () => {
    const before = await footprint();
    const huge = JSON.stringify({ email: 'user@example.com', padding: 'x'.repeat(200_000) });
    for (const path of ['/auth/email/login/start', '/auth/magic-link/start', '/auth/email/login/finish']) {
      const response = await post(path, huge);
      expect(response.status).toBe(413);
      expect(response.body).toMatchObject({ status: 413, code: 'request:too_large' });
    }
    expect(await footprint()).toEqual(before);
  });

  it('refuses bad query strings on the existence checks and the link page', async () => {
    const queries = [
      '/auth/email/check',
      '/auth/email/check?email=',
      '/auth/email/check?email=a@b.co&email=c@d.co',
      `/auth/email/check?email=${encodeURIComponent('ü@example.com')}`,
      `/auth/email/check?email=${'a'.repeat(300)}@example.com`,
      '/auth/email/check?email[$ne]=x',
      '/auth/phone/check',
      '/auth/phone/check?phone=14155550123',
      '/auth/phone/check?phone=%2B0123456789',
      '/auth/phone/check?phone=%2B1%20415%20555%200123',
      '/auth/phone/check?phone=%2B1415555012345678',
      `/auth/phone/check?phone=${encodeURIComponent('\uff0b14155550123')}`,
      '/auth/phone/check?phone=%2B1&phone=%2B2',
    ];
    for (const query of queries) {
      const response = await api.get(query);
      expect(response.status, query).toBe(400);
      expect(response.body).toMatchObject({ status: 400, code: 'request:invalid' });
    }
    const page = await api.get('/auth/magic-link/callback?token=a&token=b');
    expect(page.status).toBe(400);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
  });

  it('answers the existence checks for well-formed input, including a phone typed with a bare +', async () => {
    expect((await api.get(`/auth/email/check?email=USER@example.com`)).body).toEqual({ exists: true });
    expect((await api.get(`/auth/email/check?email=nobody@example.com`)).body).toEqual({ exists: false });
    // `+` in a query string decodes to a space; the endpoint reads it back as the `+` it was.
    const bare = await api.get('/auth/phone/check?phone=+14155550123');
    expect(bare.status).toBe(200);
    expect(bare.body).toEqual({ exists: false });
    const identity = await auth.identities.findByEmail('user@example.com');
    await auth.rows(sql`update identities set phone = '+14155550123' where id = ${identity!.id}`);
    expect((await api.get(`/auth/phone/check?phone=%2B14155550123`)).body).toEqual({ exists: true });
  });
});

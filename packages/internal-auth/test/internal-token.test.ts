import { describe, expect, it } from 'vitest';
import { createInternalTokenSigner, createInternalTokenVerifier } from '../src/index';

const SECRET = 'k'.repeat(48);
const claims = { userId: '0d4a1b8e-1111-4222-8333-944455556666', email: 'a@example.com', sessionId: 's1', orgId: null, roles: ['admin'], amr: ['otp'] };

describe('internal tokens', () => {
  it('round-trips the identity and names the caller', async () => {
    const token = await createInternalTokenSigner({ secret: SECRET, issuer: 'gateway' })(claims);
    const identity = await createInternalTokenVerifier({ secret: SECRET })(token);
    expect(identity).toEqual({ caller: 'gateway', ...claims });
  });

  it('rejects other secrets, tampering, expired tokens and callers not allowed', async () => {
    const verify = createInternalTokenVerifier({ secret: SECRET, allowedCallers: ['gateway'] });
    const good = await createInternalTokenSigner({ secret: SECRET, issuer: 'gateway' })(claims);
    const [header, payload, signature] = good.split('.');
    const tampered = `${header}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), roles: ['owner'] })).toString('base64url')}.${signature}`;
    const cases = [
      await createInternalTokenSigner({ secret: 'x'.repeat(48), issuer: 'gateway' })(claims),
      tampered,
      await createInternalTokenSigner({ secret: SECRET, issuer: 'gateway', ttlSeconds: -1 })(claims),
      await createInternalTokenSigner({ secret: SECRET, issuer: 'intruder' as 'gateway' })(claims),
      undefined,
    ];
    for (const token of cases) await expect(verify(token)).rejects.toMatchObject({ status: 401 });
  });

  it('remembers a verified token only until it expires', async () => {
    const verify = createInternalTokenVerifier({ secret: SECRET });
    const token = await createInternalTokenSigner({ secret: SECRET, issuer: 'gateway', ttlSeconds: 1 })(claims);
    expect((await verify(token)).userId).toBe(claims.userId);
    expect((await verify(token)).userId).toBe(claims.userId);
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    await expect(verify(token)).rejects.toMatchObject({ code: 'internal:token_invalid' });
  });
});

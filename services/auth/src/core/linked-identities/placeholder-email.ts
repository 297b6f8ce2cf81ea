import { randomBytes } from 'node:crypto';

/**
 * Accounts created by an identity that asserts no email (an Ethereum address, an X user without
 * a confirmed email) still need the unique address every account has. They get an unguessable
 * address under the reserved `.invalid` top-level domain (RFC 2606): it can never receive mail,
 * so it is never a way to sign in, and nobody can register it beforehand to squat the account.
 */
const PLACEHOLDER_DOMAIN = 'no-email.invalid';

export function placeholderEmail(provider: string): string {
  return `${provider}.${randomBytes(12).toString('hex')}@${PLACEHOLDER_DOMAIN}`;
}

export function isPlaceholderEmail(email: string): boolean {
  return email.endsWith(`@${PLACEHOLDER_DOMAIN}`);
}

export { hashToken, SESSION_REVOCATION_CHANNEL, encodeRevocation, decodeRevocation } from './revocations';
export { createSessionValidator, type SessionValidator, type ValidatedSession, type Credential } from './validator';
export { readCredential, isSessionTokenShape, SESSION_COOKIE } from './credential';
export type { RevocationStreamState } from './revocation-stream';

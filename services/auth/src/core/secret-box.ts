import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Authenticated encryption of secrets at rest (TOTP seeds, phone numbers): AES-256-GCM with a
 * fresh 96-bit IV per value. The sealed form names its key, `v1.<keyId>.<iv>.<ciphertext>.<tag>`
 * (base64url parts), so the key can rotate: new values use the current key, old values keep
 * opening with the previous keys until they are re-sealed. `context` is bound as associated
 * data (e.g. `mfa:totp:<userId>`), so a sealed value copied to another row does not open.
 */
export interface SecretBoxKey {
  id: string;
  /** 32 bytes. */
  key: Buffer;
}

const VERSION = 'v1';

export function createSecretBox(keys: { current: SecretBoxKey; previous?: SecretBoxKey[] }) {
  const byId = new Map<string, Buffer>();
  for (const entry of [keys.current, ...(keys.previous ?? [])]) {
    if (entry.key.length !== 32) throw new Error(`MFA encryption key ${entry.id} must be 32 bytes`);
    if (!/^[A-Za-z0-9_-]{1,32}$/.test(entry.id)) throw new Error('MFA encryption key ids are 1-32 characters of [A-Za-z0-9_-]');
    if (!byId.has(entry.id)) byId.set(entry.id, entry.key);
  }

  return {
    seal(plaintext: string, context: string): string {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', keys.current.key, iv);
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      const parts = [iv, ciphertext, cipher.getAuthTag()].map((part) => part.toString('base64url'));
      return [VERSION, keys.current.id, ...parts].join('.');
    },

    /** Throws when the value was not sealed by one of our keys for this context. */
    open(sealed: string, context: string): string {
      const [version, keyId, iv, ciphertext, tag, ...rest] = sealed.split('.');
      const key = keyId ? byId.get(keyId) : undefined;
      if (version !== VERSION || !key || !iv || ciphertext === undefined || !tag || rest.length) {
        throw new Error('sealed value has an unknown format or key id');
      }
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
    },

    /** Whether a sealed value uses an older key and should be re-sealed. */
    isStale(sealed: string): boolean {
      return sealed.split('.')[1] !== keys.current.id;
    },
  };
}

export type SecretBox = ReturnType<typeof createSecretBox>;

/** Reads a 32-byte key written as 64 hex characters or as base64/base64url; null otherwise. */
export function parseSecretKey(value: string): Buffer | null {
  const trimmed = value.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return Buffer.from(trimmed, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(trimmed)) {
    const bytes = Buffer.from(trimmed.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    return bytes.length === 32 ? bytes : null;
  }
  return null;
}

import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';

/**
 * A software WebAuthn authenticator for tests and benchmarks (never used by the service): P-256
 * keys from node:crypto, `none` attestation, and assertions signed over authenticator data and
 * the client data hash exactly as the WebAuthn spec lays them out. Browser tests use Chromium's
 * virtual authenticator instead; this one can also do what no honest browser does (sign for
 * another origin or RP ID, replay, run a counter backwards), which the refusal tests need.
 */

type CborValue = number | string | Uint8Array | CborValue[] | Map<CborValue, CborValue> | { [key: string]: CborValue };

/** The few CBOR shapes attestation objects and COSE keys use (RFC 8949): ints, byte and text strings, arrays, maps. */
function encodeCbor(value: CborValue): Buffer {
  const head = (major: number, length: number): Buffer => {
    if (length < 24) return Buffer.from([(major << 5) | length]);
    if (length < 0x100) return Buffer.from([(major << 5) | 24, length]);
    if (length < 0x10000) return Buffer.from([(major << 5) | 25, length >> 8, length & 0xff]);
    const out = Buffer.alloc(5);
    out[0] = (major << 5) | 26;
    out.writeUInt32BE(length, 1);
    return out;
  };
  if (typeof value === 'number') return value >= 0 ? head(0, value) : head(1, -1 - value);
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    return Buffer.concat([head(3, bytes.length), bytes]);
  }
  if (value instanceof Uint8Array) return Buffer.concat([head(2, value.length), value]);
  if (Array.isArray(value)) return Buffer.concat([head(4, value.length), ...value.map(encodeCbor)]);
  const entries = value instanceof Map ? [...value.entries()] : Object.entries(value);
  return Buffer.concat([head(5, entries.length), ...entries.flatMap(([key, item]) => [encodeCbor(key), encodeCbor(item)])]);
}

const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest();

/** Flags of authenticator data (WebAuthn section 6.1). */
const FLAG = { userPresent: 0x01, userVerified: 0x04, attestedCredentialData: 0x40 };

interface StoredCredential {
  id: Buffer;
  privateKey: KeyObject;
  cosePublicKey: Buffer;
  userHandle: string;
  counter: number;
}

export interface CeremonyOverrides {
  /** The origin written in the client data (default: the authenticator's origin). */
  origin?: string;
  /** The RP ID whose hash is signed (default: the options' RP ID). */
  rpId?: string;
  /** The challenge written in the client data (default: the options' challenge). */
  challenge?: string;
  userVerified?: boolean;
  /** Answer with this credential (default: the first one the options allow, else the newest). */
  credentialId?: string;
  /** The counter to report instead of the next one (a clone, a replay). */
  counter?: number;
  type?: string;
}

export interface CreationOptionsLike {
  challenge: string;
  rp: { id?: string; name: string };
  user: { id: string };
}

export interface RequestOptionsLike {
  challenge: string;
  rpId?: string;
  allowCredentials?: { id: string }[];
}

export function createSoftwareAuthenticator(options: { origin: string; rpId?: string; userVerified?: boolean; counterStep?: number }) {
  const credentials = new Map<string, StoredCredential>();
  const defaultRpId = options.rpId ?? new URL(options.origin).hostname;
  const step = options.counterStep ?? 1;

  const clientData = (type: string, challenge: string, origin: string) =>
    Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }), 'utf8');

  function authenticatorData(rpId: string, flags: number, counter: number, attested?: Buffer): Buffer {
    const count = Buffer.alloc(4);
    count.writeUInt32BE(counter, 0);
    return Buffer.concat([sha256(rpId), Buffer.from([flags]), count, ...(attested ? [attested] : [])]);
  }

  function adopt(credential: StoredCredential): void {
    credentials.set(credential.id.toString('base64url'), credential);
  }

  return {
    origin: options.origin,

    /** Makes a new credential for `navigator.credentials.create()` options: `credential.toJSON()`. */
    register(creation: CreationOptionsLike, overrides: CeremonyOverrides = {}) {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const jwk = publicKey.export({ format: 'jwk' });
      const cosePublicKey = encodeCbor(
        new Map<CborValue, CborValue>([
          [1, 2],
          [3, -7],
          [-1, 1],
          [-2, Buffer.from(jwk.x!, 'base64url')],
          [-3, Buffer.from(jwk.y!, 'base64url')],
        ]),
      );
      const credential: StoredCredential = { id: randomBytes(32), privateKey, cosePublicKey, userHandle: creation.user.id, counter: 0 };
      adopt(credential);
      const idLength = Buffer.alloc(2);
      idLength.writeUInt16BE(credential.id.length, 0);
      const attested = Buffer.concat([Buffer.alloc(16), idLength, credential.id, cosePublicKey]);
      const verified = overrides.userVerified ?? options.userVerified ?? true;
      const flags = FLAG.userPresent | FLAG.attestedCredentialData | (verified ? FLAG.userVerified : 0);
      const authData = authenticatorData(overrides.rpId ?? creation.rp.id ?? defaultRpId, flags, 0, attested);
      const id = credential.id.toString('base64url');
      return {
        id,
        rawId: id,
        type: 'public-key' as const,
        response: {
          clientDataJSON: clientData(overrides.type ?? 'webauthn.create', overrides.challenge ?? creation.challenge, overrides.origin ?? options.origin).toString('base64url'),
          attestationObject: encodeCbor({ fmt: 'none', attStmt: {}, authData }).toString('base64url'),
          transports: ['internal'],
        },
        authenticatorAttachment: 'platform' as const,
        clientExtensionResults: {},
      };
    },

    /** Signs a `navigator.credentials.get()` request: `credential.toJSON()`. */
    assert(request: RequestOptionsLike, overrides: CeremonyOverrides = {}) {
      const allowed = request.allowCredentials?.map((item) => item.id).find((id) => credentials.has(id));
      const id = overrides.credentialId ?? allowed ?? [...credentials.keys()].at(-1);
      const credential = id ? credentials.get(id) : undefined;
      if (!credential) throw new Error('the software authenticator holds no credential for this request');
      credential.counter = overrides.counter ?? credential.counter + step;
      const verified = overrides.userVerified ?? options.userVerified ?? true;
      const flags = FLAG.userPresent | (verified ? FLAG.userVerified : 0);
      const authData = authenticatorData(overrides.rpId ?? request.rpId ?? defaultRpId, flags, credential.counter);
      const data = clientData(overrides.type ?? 'webauthn.get', overrides.challenge ?? request.challenge, overrides.origin ?? options.origin);
      const signature = sign('sha256', Buffer.concat([authData, sha256(data)]), credential.privateKey);
      return {
        id: id!,
        rawId: id!,
        type: 'public-key' as const,
        response: {
          clientDataJSON: data.toString('base64url'),
          authenticatorData: authData.toString('base64url'),
          signature: signature.toString('base64url'),
          userHandle: credential.userHandle,
        },
        authenticatorAttachment: 'platform' as const,
        clientExtensionResults: {},
      };
    },

    /** Credential ids, oldest first. */
    credentialIds: () => [...credentials.keys()],

    /** A second authenticator holding a copy of one credential (same key), with its own counter. */
    cloneCredential(credentialId: string, counter: number) {
      const original = credentials.get(credentialId);
      if (!original) throw new Error('no such credential');
      const copy = createSoftwareAuthenticator(options);
      copy.adopt({ ...original, counter });
      return copy;
    },

    adopt,
  };
}

export type SoftwareAuthenticator = ReturnType<typeof createSoftwareAuthenticator>;

interface Api {
  post<T = Record<string, unknown>>(path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: T }>;
}

/** Registers a passkey for a signed-in user through the API; the new passkey as listed. */
export async function registerPasskey(api: Api, headers: Record<string, string>, authenticator: SoftwareAuthenticator, name?: string) {
  const start = await api.post<{ publicKey: CreationOptionsLike }>('/auth/passkey/register/start', undefined, headers);
  if (start.status !== 200) throw new Error(`register/start answered ${start.status}: ${JSON.stringify(start.body)}`);
  const finish = await api.post<{ passkey: { id: string; name: string } }>(
    '/auth/passkey/register/finish',
    { ...authenticator.register(start.body.publicKey), ...(name ? { name } : {}) },
    headers,
  );
  if (finish.status !== 201) throw new Error(`register/finish answered ${finish.status}: ${JSON.stringify(finish.body)}`);
  return { ...finish.body.passkey, credentialId: authenticator.credentialIds().at(-1)! };
}

/** A sign-in challenge (`login/start`) with or without an email. */
export async function startPasskeySignIn(api: Api, body: { email?: string; mediation?: 'conditional' } = {}) {
  const start = await api.post<{ publicKey: RequestOptionsLike; mediation: string }>('/auth/passkey/login/start', body);
  if (start.status !== 200) throw new Error(`login/start answered ${start.status}`);
  return start.body;
}

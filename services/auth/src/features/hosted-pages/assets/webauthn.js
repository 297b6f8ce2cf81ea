// WebAuthn in the browser: auth's JSON options to the browser's binary ones and back
// (base64url both ways), without any library.

const fromBase64url = (value) => {
  const base64 = value.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(value.length / 4) * 4, '=');
  return Uint8Array.from(atob(base64), (char) => char.charCodeAt(0)).buffer;
};
const toBase64url = (buffer) => {
  let binary = '';
  for (const byte of new Uint8Array(buffer)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
};
const descriptors = (list) => (list || []).map((item) => ({ ...item, id: fromBase64url(item.id) }));

export const passkeysSupported = () => typeof window.PublicKeyCredential === 'function' && !!navigator.credentials;

/** Whether the browser can offer passkeys in the email field's autofill. */
export async function autofillSupported() {
  if (!passkeysSupported() || typeof PublicKeyCredential.isConditionalMediationAvailable !== 'function') return false;
  try {
    return await PublicKeyCredential.isConditionalMediationAvailable();
  } catch {
    return false;
  }
}

function credentialToJSON(credential) {
  if (typeof credential.toJSON === 'function') return credential.toJSON();
  const response = credential.response;
  const json = {
    id: credential.id,
    rawId: toBase64url(credential.rawId),
    type: credential.type,
    authenticatorAttachment: credential.authenticatorAttachment || undefined,
    clientExtensionResults: credential.getClientExtensionResults(),
    response: { clientDataJSON: toBase64url(response.clientDataJSON) },
  };
  if (response.attestationObject) {
    json.response.attestationObject = toBase64url(response.attestationObject);
    json.response.transports = typeof response.getTransports === 'function' ? response.getTransports() : [];
  } else {
    json.response.authenticatorData = toBase64url(response.authenticatorData);
    json.response.signature = toBase64url(response.signature);
    if (response.userHandle) json.response.userHandle = toBase64url(response.userHandle);
  }
  return json;
}

/** `navigator.credentials.create()` for `register/start`'s options; the credential as JSON. */
export async function createPasskey(options) {
  const publicKey = {
    ...options,
    challenge: fromBase64url(options.challenge),
    user: { ...options.user, id: fromBase64url(options.user.id) },
    excludeCredentials: descriptors(options.excludeCredentials),
  };
  return credentialToJSON(await navigator.credentials.create({ publicKey }));
}

/** `navigator.credentials.get()` for `login/start`'s answer; the assertion as JSON. */
export async function getPasskey(start, signal) {
  const publicKey = { ...start.publicKey, challenge: fromBase64url(start.publicKey.challenge), allowCredentials: descriptors(start.publicKey.allowCredentials) };
  const request = { publicKey, mediation: start.mediation };
  if (signal) request.signal = signal;
  return credentialToJSON(await navigator.credentials.get(request));
}

import { Secret, TOTP, URI } from 'otpauth';
import QRCode from 'qrcode';

/** RFC 6238 as every authenticator app implements it: SHA-1, 6 digits, 30-second steps. */
const PERIOD_SECONDS = 30;
const DIGITS = 6;
/** One step either side absorbs clock drift between phone and server. */
const WINDOW = 1;

export const TOTP_ISSUER = 'Malet';

function totpFor(secretBase32: string, label = 'account') {
  return new TOTP({
    issuer: TOTP_ISSUER,
    label,
    algorithm: 'SHA1',
    digits: DIGITS,
    period: PERIOD_SECONDS,
    secret: Secret.fromBase32(secretBase32),
  });
}

/** A new 160-bit secret (RFC 4226's recommended length), base32 as authenticator apps expect. */
export function generateTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

/** The `otpauth://totp/...` URI and its QR code as a PNG data URL, for the enrollment screen. */
export async function describeTotpEnrollment(secretBase32: string, accountName: string) {
  const uri = URI.stringify(totpFor(secretBase32, accountName));
  const qrCode = await QRCode.toDataURL(uri, { errorCorrectionLevel: 'M', margin: 1, width: 240 });
  return { uri, qrCode };
}

/**
 * The time step a code belongs to, when it is valid within the window at `now`; null otherwise.
 * Callers accept a step only if it is later than the last one accepted (replay protection).
 */
export function matchTotpStep(secretBase32: string, code: string, now: Date): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const timestamp = now.getTime();
  const delta = totpFor(secretBase32).validate({ token: code, timestamp, window: WINDOW });
  if (delta === null) return null;
  return Math.floor(timestamp / 1000 / PERIOD_SECONDS) + delta;
}

// TOTP per RFC 6238: SHA1, 6 digits, 30-second steps, one step of drift either way.
// Verification returns the matched time step; the caller stores it atomically so that
// each code is accepted once.
import { Secret, TOTP } from 'otpauth';
import { randomBytesOf } from '../crypto/index.ts';
import { onFirstUse } from '../shared/on-first-use.ts';

export const TOTP_ISSUER = 'Gatehouse';
const PERIOD_S = 30;
const DIGITS = 6;

export const AUTHENTICATOR_APPS = [
  'Passly',
  'Microsoft Authenticator',
  'Google Authenticator',
  'Duo',
  'Authy',
  'FreeOTP',
] as const;

/** A new 160-bit secret in base32 (what authenticator apps expect). */
export function newTotpSecret(): string {
  return new Secret({ buffer: randomBytesOf(20).buffer as ArrayBuffer }).base32;
}

function totpFor(secretBase32: string, label = 'user'): TOTP {
  return new TOTP({
    issuer: TOTP_ISSUER,
    label,
    algorithm: 'SHA1',
    digits: DIGITS,
    period: PERIOD_S,
    secret: Secret.fromBase32(secretBase32),
  });
}

/**
 * The account name in the app includes the company, so the same username in two
 * companies never overwrites an existing entry in an authenticator app.
 */
export function accountLabel(companyName: string, username: string): string {
  return `${companyName} (${username})`;
}

export function otpauthUri(secretBase32: string, companyName: string, username: string): string {
  return totpFor(secretBase32, accountLabel(companyName, username)).toString();
}

const qrcode = onFirstUse(() => import('qrcode'));

export async function qrCodeDataUrl(uri: string): Promise<string> {
  const QRCode = (await qrcode()).default;
  return QRCode.toDataURL(uri, { errorCorrectionLevel: 'M', margin: 2, width: 240 });
}

/** "JBSW Y3DP EHPK 3PXP" — groups of four are easier to type and check. */
export function groupSecret(secretBase32: string): string {
  return secretBase32.replace(/(.{4})(?=.)/g, '$1 ');
}

/** The time step a code matches within ±1 step of `now`, or null. */
export function matchTotpStep(secretBase32: string, code: string, now: number): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const delta = totpFor(secretBase32).validate({ token: code, timestamp: now, window: 1 });
  if (delta === null) return null;
  return Math.floor(now / 1000 / PERIOD_S) + delta;
}

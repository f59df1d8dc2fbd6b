// The two WebAuthn ceremonies, on @simplewebauthn/server. The relying party is the public
// URL: its host is the RP ID and its origin the only origin accepted, so an assertion made
// for a look-alike site (phishing) or another RP is refused. Attestation is "none": a key's
// make and model are not checked, only that it holds the private key.
import type {
  AuthenticationResponseJSON,
  AuthenticatorTransport,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { Config } from '../config.ts';
import { onFirstUse } from '../shared/on-first-use.ts';
import { CHALLENGE_TTL_MS, type CredentialRow } from './store.ts';

export type { AuthenticationResponseJSON, RegistrationResponseJSON };
export type RegistrationOptions = PublicKeyCredentialCreationOptionsJSON;
export type AuthenticationOptions = PublicKeyCredentialRequestOptionsJSON;

export const RP_NAME = 'Gatehouse';

const simpleWebAuthn = onFirstUse(() => import('@simplewebauthn/server'));

export function relyingParty(config: Pick<Config, 'publicUrl'>) {
  return { rpID: config.publicUrl.hostname, origin: config.publicUrl.origin };
}

/**
 * Whether the browser says the ceremony ran in a frame of another site. Gatehouse's pages
 * are never framed (frame-ancestors 'none'), so such an answer is made by no page of ours;
 * the library checks a frame's top origin only when the browser names one (Safari leaves
 * it out), so an answer marked as framed, without its top, is refused here.
 */
function madeInAFrame(clientDataJSON: string): boolean {
  try {
    return (JSON.parse(Buffer.from(clientDataJSON, 'base64url').toString('utf8')) as { crossOrigin?: unknown }).crossOrigin === true;
  } catch {
    return false; // unreadable: the library refuses it
  }
}

const transportsOf = (row: Pick<CredentialRow, 'transports'>) => JSON.parse(row.transports) as AuthenticatorTransport[];

/**
 * Options to create a credential for one user. The user handle is the user's id (a
 * random UUID, no personal data), which is how a passkey later names its user; the
 * user's existing keys are excluded so one authenticator is not registered twice.
 */
export async function registrationOptions(
  config: Pick<Config, 'publicUrl'>,
  user: { id: string; username: string; displayName: string; companyName: string },
  existing: CredentialRow[],
): Promise<RegistrationOptions> {
  const { generateRegistrationOptions } = await simpleWebAuthn();
  return generateRegistrationOptions({
    rpName: RP_NAME,
    rpID: relyingParty(config).rpID,
    // The browser's chooser shows this: with the company, a person in several companies can tell them apart.
    userName: `${user.username} (${user.companyName})`,
    userDisplayName: user.displayName,
    userID: new TextEncoder().encode(user.id),
    timeout: CHALLENGE_TTL_MS,
    attestationType: 'none',
    // Not a key switched off (a copy of it was seen): its owner is told to add that
    // authenticator again, which it would refuse while its old credential is listed here.
    excludeCredentials: existing.filter((c) => c.switched_off_at === null).map((c) => ({ id: c.credential_id, transports: transportsOf(c) })),
    // Preferred, not required: a security key with no room for resident credentials still
    // serves as a second factor; a key that stores one also serves alone (passwordless).
    authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
  });
}

export async function verifyRegistration(config: Pick<Config, 'publicUrl'>, response: RegistrationResponseJSON, expectedChallenge: string) {
  const { rpID, origin } = relyingParty(config);
  if (madeInAFrame(response.response.clientDataJSON)) return undefined;
  const { verifyRegistrationResponse } = await simpleWebAuthn();
  const result = await verifyRegistrationResponse({
    response,
    expectedChallenge,
    expectedOrigin: origin,
    expectedRPID: rpID,
    // A security key without a PIN is still a strong second factor; UV is recorded, and
    // demanded where the key stands alone (passwordless).
    requireUserVerification: false,
  }).catch(() => undefined);
  if (!result?.verified) return undefined;
  const info = result.registrationInfo;
  return {
    credentialId: info.credential.id,
    publicKey: Buffer.from(info.credential.publicKey).toString('base64url'),
    counter: info.credential.counter,
    transports: response.response.transports ?? [],
    aaguid: info.aaguid,
    deviceType: info.credentialDeviceType,
    backedUp: info.credentialBackedUp,
    userVerified: info.userVerified,
  };
}

/** Options to assert: for a known user, the user's keys; for a passkey login, none (the browser offers its own). */
export async function authenticationOptions(config: Pick<Config, 'publicUrl'>, allow: CredentialRow[] | 'discoverable', userVerification: 'required' | 'preferred') {
  const { generateAuthenticationOptions } = await simpleWebAuthn();
  return generateAuthenticationOptions({
    rpID: relyingParty(config).rpID,
    timeout: CHALLENGE_TTL_MS,
    userVerification,
    ...(allow === 'discoverable' ? {} : { allowCredentials: allow.map((c) => ({ id: c.credential_id, transports: transportsOf(c) })) }),
  });
}

export type AssertionOutcome =
  | { kind: 'verified'; newCounter: number; userVerified: boolean }
  | { kind: 'refused' }
  /** A valid signature whose counter did not move forward: a copy of the key is in use. */
  | { kind: 'cloned'; newCounter: number }
  /** A valid signature of a key switched off since a copy of it was seen: refused, whatever its counter. */
  | { kind: 'switched_off' };

export async function verifyAssertion(
  config: Pick<Config, 'publicUrl'>,
  response: AuthenticationResponseJSON,
  expectedChallenge: string,
  row: CredentialRow,
  requireUserVerification: boolean,
): Promise<AssertionOutcome> {
  const { rpID, origin } = relyingParty(config);
  if (madeInAFrame(response.response.clientDataJSON)) return { kind: 'refused' };
  const { verifyAuthenticationResponse } = await simpleWebAuthn();
  // The library compares counters before it checks the signature; it is given 0 here and
  // the comparison is made below, so only a signed answer can be called a clone.
  const result = await verifyAuthenticationResponse({
    response,
    expectedChallenge,
    expectedOrigin: origin,
    expectedRPID: rpID,
    credential: { id: row.credential_id, publicKey: Buffer.from(row.public_key, 'base64url'), counter: 0, transports: transportsOf(row) },
    requireUserVerification,
  }).catch(() => undefined);
  if (!result?.verified) return { kind: 'refused' };
  // Before the counter: a copy counting ahead of the stored value, or the original, is no
  // less a holder of the key's private key once a copy was seen (store.ts switchCredentialOff).
  if (row.switched_off_at !== null) return { kind: 'switched_off' };
  const { newCounter, userVerified } = result.authenticationInfo;
  if ((newCounter > 0 || row.counter > 0) && newCounter <= row.counter) return { kind: 'cloned', newCounter };
  return { kind: 'verified', newCounter, userVerified };
}

/**
 * RFC 8176 amr for a key: a synced passkey is software-secured (swk), a device-bound key
 * hardware-secured (hwk); "user" for the presence test every assertion carries. Whether
 * verification was a PIN or a fingerprint the authenticator does not say, so neither
 * "pin" nor "fpt" is claimed.
 */
export function keyAmr(row: Pick<CredentialRow, 'device_type'>): string[] {
  return [row.device_type === 'multiDevice' ? 'swk' : 'hwk', 'user'];
}

// Passkeys and security keys (WebAuthn): the ceremonies' options as the server makes
// them (handed to @simplewebauthn/browser as they are), the browser's answers, and a
// user's keys in My Settings.
import { z } from 'zod';
import { time } from './common.ts';
import { password, RETURN_TO_PATTERN, text } from './fields.ts';

const b64url = (max: number) => z.string().max(max).regex(/^[A-Za-z0-9_-]*$/, 'Not base64url.');

/** PublicKeyCredentialCreationOptionsJSON / RequestOptionsJSON: passed through for the browser. */
export const creationOptions = z.looseObject({ challenge: z.string() });
export const requestOptions = z.looseObject({ challenge: z.string(), rpId: z.string().optional() });

/** WebAuthn's transport names (usb, nfc, ble, hybrid, internal, smart-card, ...), kept with the key. */
const transports = z.array(z.string().regex(/^[a-z0-9-]{1,32}$/, 'Not a transport name.')).max(10);
/** Extension outputs go to the verifier as they came; their names are identifiers (credProps, prf, ...). */
const extensions = z.record(z.string().regex(/^[\x21-\x7e]{1,64}$/, 'Not an extension name.'), z.unknown()).default({});
const attachment = z.enum(['platform', 'cross-platform']).optional();

/** What navigator.credentials.create() answered (RegistrationResponseJSON). */
export const registrationResponse = z.object({
  id: b64url(1364),
  rawId: b64url(1364),
  type: z.literal('public-key'),
  response: z.object({
    clientDataJSON: b64url(8192),
    attestationObject: b64url(32768),
    authenticatorData: b64url(16384).optional(),
    transports: transports.optional(),
    publicKeyAlgorithm: z.number().int().optional(),
    publicKey: b64url(8192).optional(),
  }),
  authenticatorAttachment: attachment,
  clientExtensionResults: extensions,
});

/** What navigator.credentials.get() answered (AuthenticationResponseJSON). */
export const authenticationResponse = z.object({
  id: b64url(1364),
  rawId: b64url(1364),
  type: z.literal('public-key'),
  response: z.object({
    clientDataJSON: b64url(8192),
    authenticatorData: b64url(16384),
    signature: b64url(8192),
    userHandle: b64url(512).optional(),
  }),
  authenticatorAttachment: attachment,
  clientExtensionResults: extensions,
});

export const keyName = text('Name', 60);

export const securityKey = z.object({
  id: z.uuid(),
  name: z.string(),
  /** A synced passkey, or a key bound to one device (a security key, or a device passkey). */
  kind: z.enum(['passkey', 'security_key']),
  createdAt: time,
  lastUsedAt: time.nullable(),
  /** When a copy of the key was seen in use: it signs no one in any more; remove it and add it again. Null: in use. */
  switchedOffAt: time.nullable(),
});
export const securityKeys = z.object({ keys: z.array(securityKey) });

/** The password; a user created by single sign-on has none and sends nothing (a recent sign-in stands for it). */
export const keyRegistrationStart = z.object({ password: password('Current password').optional() });
/** Removing a key proves what adding one does: the password (none for a user of single sign-on, who signed in lately). */
export const keyRemoval = keyRegistrationStart;
export const keyRegistrationFinish = z.object({ name: keyName.optional(), response: registrationResponse });
/** A registration answer at its fields' caps is 67 KB of JSON: its routes read up to 128 KiB. */
export const KEY_REGISTRATION_BODY_LIMIT = 128 * 1024;
export const keyRename = z.object({ name: keyName });

export const passkeyLoginStart = z.object({
  returnTo: z.string().regex(RETURN_TO_PATTERN, 'Not a place Gatehouse can return to.').optional(),
});
export const keyAnswer = z.object({ response: authenticationResponse });

/** A key added during login: the flow moves to the code step, where the key signs in. */
export const keyEnrolled = z.object({
  step: z.enum(['totp']),
  secondFactors: z.array(z.enum(['app', 'key', 'recovery_code'])),
  /** Only at first-login enrollment: ten recovery codes, shown this once. */
  recoveryCodes: z.array(z.string()).optional(),
});

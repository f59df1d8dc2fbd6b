// The passkeys-and-security-keys door (WebAuthn): the ceremonies on @simplewebauthn/server
// with the public URL as relying party, credential rows by company, single-use
// challenges bound to a login flow or a session, and a user's own keys in My Settings.
// The login steps that use a key live with the other steps (src/login/security-key.ts).
export { authenticationOptions, keyAmr, registrationOptions, relyingParty, verifyAssertion, type AuthenticationResponseJSON, type RegistrationResponseJSON } from './ceremony.ts';
export {
  CHALLENGE_TTL_MS,
  countCredentials,
  countSwitchedOnCredentials,
  deleteAllCredentials,
  deleteUserChallenges,
  findDiscoverableCredential,
  findUserCredential,
  listCredentials,
  listSwitchedOnCredentials,
  recordUse,
  saveChallenge,
  switchCredentialOff,
  takeChallenge,
  type CredentialRow,
} from './store.ts';
export { assertRoomForKey, finishKeyRegistration, keyView, MAX_KEYS_PER_USER, listMyKeys, registerKey, removeMyKey, renameMyKey, startKeyRegistration } from './keys.ts';

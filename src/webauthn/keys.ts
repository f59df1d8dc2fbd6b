// My Settings, "Passkeys and security keys": a signed-in user's own keys. Adding one
// proves the current password first (a borrowed session must not plant a key); the
// challenge is bound to the session and that password, and the key is stored only while
// both still stand. Removing the last way in is refused.
import { recordAudit } from '../audit/index.ts';
import { hashToken } from '../crypto/index.ts';
import { assertThat, GatehouseError } from '../errors.ts';
import { verifyCurrentPassword } from '../login/index.ts';
import type { SignedIn } from '../sessions/index.ts';
import type { CoreDeps, RequestMeta } from '../shared/deps.ts';
import { requireCredentialChange, requireProfileEdit } from '../shared/signed-in-writes.ts';
import type { Queryable } from '../storage/index.ts';
import { getUser, lockUser, queueSecurityNotice, stillProved } from '../users/index.ts';
import { registrationOptions, verifyRegistration, type RegistrationResponseJSON } from './ceremony.ts';
import {
  countSwitchedOnCredentials,
  deleteCredential,
  insertCredential,
  listCredentials,
  renameCredential,
  saveChallenge,
  takeChallenge,
  type CredentialRow,
} from './store.ts';
import { isUniqueViolation } from '../storage/index.ts';

type Me = Pick<SignedIn, 'companyId' | 'userId' | 'sessionHash' | 'username' | 'displayName' | 'companyName'> & Partial<Pick<SignedIn, 'authTime' | 'provedAt'>>;

/**
 * A user created by single sign-on has no password to prove: a proof this recent stands
 * for it (the sign-in through the provider, as Keycloak asks for a fresh login before a
 * credential is added, or the step-up's POST /api/me/reauth, src/sessions provedAt), so a
 * session left open for hours cannot plant a key. Adding one is also a sensitive change
 * (src/http/routes/security-keys.ts): the password alone never plants a key either.
 */
export const FRESH_SIGN_IN_MS = 10 * 60_000;

const audit = (me: Me, meta: RequestMeta, action: string, detail: Record<string, unknown>) => ({
  companyId: me.companyId,
  actorId: me.userId,
  action,
  target: me.userId,
  ip: meta.ip,
  userAgent: meta.userAgent,
  detail,
});

export function keyView(row: CredentialRow) {
  return {
    id: row.id,
    name: row.name,
    kind: row.device_type === 'multiDevice' ? ('passkey' as const) : ('security_key' as const),
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    /** Set once a copy of the key was seen: it signs no one in, and its owner removes it (login/key-copy.ts). */
    switchedOffAt: row.switched_off_at,
  };
}

export async function listMyKeys(deps: CoreDeps, me: Me) {
  return (await listCredentials(deps.db, me.companyId, me.userId)).map(keyView);
}

/**
 * The proof for adding or removing a key, a factor that signs the user in: the current
 * password (counted toward the lockout), or, for a user without one (single sign-on), a
 * proof (the sign-in, or POST /api/me/reauth) less than FRESH_SIGN_IN_MS ago. A session cookie alone is not enough: removing the
 * key a phishing-resistant policy holds the user to would let a phished code sign in.
 * The user as proved (its password hash, for stillProved at the write).
 */
async function proveForKeyChange(deps: CoreDeps, me: Me, password: string | undefined, meta: RequestMeta) {
  const user = await getUser(deps.db, me.companyId, me.userId);
  assertThat(user, 'session.required');
  if (user.password_hash === null) {
    const provedAt = me.provedAt ?? me.authTime;
    if (provedAt === undefined || deps.clock() - provedAt >= FRESH_SIGN_IN_MS) throw new GatehouseError('reauth.sign_in_again');
  } else if (!password) {
    throw new GatehouseError('request.invalid', { fields: { password: 'Current password is required.' } });
  } else if (!(await verifyCurrentPassword(deps, me, user.password_hash, password, meta))) {
    throw new GatehouseError('password.current_invalid', { fields: { password: 'Your current password is not correct.' } });
  }
  return user;
}

/**
 * What a register challenge is bound to: the session and the password hash it proved
 * (stillProved needs that hash at the write, and the challenge is all that carries the
 * proof from step one to step two). Finishing looks the challenge up under the hash as it
 * stands, so one made before a password change is never found after it.
 */
function registerBinding(sessionHash: string, provedHash: string | null): string {
  return hashToken(`${sessionHash}:${provedHash ?? ''}`);
}

/**
 * The most passkeys and security keys one person holds. Every one is read at each of their
 * logins and listed in its challenges (the code step's, step-up's, the registration's
 * exclude list), and a person adds one a few times a year: without a total, the rate of
 * changes to ways in (20 an hour) let one user add keys without end. A switched-off key
 * (a copy of it was seen) is a row every login reads, and signs in no one: at the total, a
 * new key takes the place of the oldest switched-off one (registerKey). Otherwise a person
 * whose 20 keys were all switched off, under a policy that requires a key, could add none
 * at the login and was shut out until a Master reset their 2FA.
 */
export const MAX_KEYS_PER_USER = 20;

/** Refuses one more key when the total is all keys still on (`409 webauthn.too_many`): asked at each step one, decided under the lock at registerKey. */
export function assertRoomForKey(held: readonly Pick<CredentialRow, 'switched_off_at'>[]): void {
  if (held.filter((key) => key.switched_off_at === null).length >= MAX_KEYS_PER_USER) throw new GatehouseError('webauthn.too_many');
}

/**
 * Under the user's lock: refused at the total of keys still on; at the total with a
 * switched-off key among them, the oldest switched-off one goes (audited), so the rows stay
 * at the total. Its copy's refusal stays in the trail (webauthn.clone_refused).
 */
async function makeRoomForKey(deps: CoreDeps, tx: Queryable, who: { companyId: string; userId: string }, meta: RequestMeta): Promise<void> {
  const held = await listCredentials(tx, who.companyId, who.userId);
  assertRoomForKey(held);
  if (held.length < MAX_KEYS_PER_USER) return;
  const oldestOff = held.find((key) => key.switched_off_at !== null);
  if (!oldestOff) throw new GatehouseError('webauthn.too_many');
  await deleteCredential(tx, who.companyId, who.userId, oldestOff.id);
  await recordAudit(tx, deps.clock(), {
    companyId: who.companyId,
    actorId: who.userId,
    action: 'webauthn.removed',
    target: who.userId,
    ip: meta.ip,
    userAgent: meta.userAgent,
    detail: { keyId: oldestOff.id, name: oldestOff.name, reason: 'switched_off_replaced' },
  });
}

/** Step one of adding a key: the password, then the options for navigator.credentials.create(). */
export async function startKeyRegistration(deps: CoreDeps, me: Me, password: string | undefined, meta: RequestMeta) {
  const proved = await proveForKeyChange(deps, me, password, meta);
  const existing = await listCredentials(deps.db, me.companyId, me.userId);
  // Before the authenticator is asked: a person past the total is told so at once.
  assertRoomForKey(existing);
  const options = await registrationOptions(deps.config, { id: me.userId, username: me.username, displayName: me.displayName, companyName: me.companyName }, existing);
  const bindingHash = registerBinding(me.sessionHash, proved.password_hash);
  await saveChallenge(deps.db, { bindingHash, purpose: 'register', companyId: me.companyId, userId: me.userId, challenge: options.challenge }, deps.clock());
  return options;
}

/**
 * Verifies the authenticator's answer against a challenge made for someone (a session or
 * a login flow), stores the key and tells its owner; the caller's transaction also
 * carries what follows, and the caller wakes the mail worker (deps.mailQueued) after it.
 */
export async function registerKey(
  deps: CoreDeps,
  tx: Queryable,
  who: { companyId: string; userId: string },
  challenge: string,
  input: { name?: string | undefined; response: RegistrationResponseJSON },
  meta: RequestMeta,
): Promise<CredentialRow> {
  const verified = await verifyRegistration(deps.config, input.response, challenge);
  if (!verified) throw new GatehouseError('webauthn.not_accepted');
  // Counted under the user's row lock (every caller's transaction takes it first: the
  // lock order), so two keys added at once cannot both take the last place.
  await lockUser(tx, who.companyId, who.userId);
  await makeRoomForKey(deps, tx, who, meta);
  const kindName = verified.deviceType === 'multiDevice' ? 'Passkey' : 'Security key';
  const row = await insertCredential(tx, {
    company_id: who.companyId,
    user_id: who.userId,
    credential_id: verified.credentialId,
    public_key: verified.publicKey,
    counter: verified.counter,
    transports: JSON.stringify(verified.transports),
    name: input.name?.trim() || kindName,
    aaguid: verified.aaguid,
    device_type: verified.deviceType,
    backed_up: verified.backedUp ? 1 : 0,
    user_verified: verified.userVerified ? 1 : 0,
    created_at: deps.clock(),
  }).catch((error: unknown) => {
    if (isUniqueViolation(error)) throw new GatehouseError('webauthn.already_registered');
    throw error;
  });
  await recordAudit(tx, deps.clock(), {
    companyId: who.companyId,
    actorId: who.userId,
    action: 'webauthn.registered',
    target: who.userId,
    ip: meta.ip,
    userAgent: meta.userAgent,
    detail: { keyId: row.id, name: row.name, kind: keyView(row).kind, aaguid: row.aaguid, userVerified: verified.userVerified },
  });
  // A key signs in by itself and outlives a password change: its owner hears of every one
  // added, from My Settings or at a login the company's policy made add one (a phished
  // password and code could plant one there just as a borrowed session could here).
  await queueSecurityNotice(deps, tx, who, 'key_added');
  return row;
}

/**
 * Step two: the authenticator's answer to this session's challenge (single use), found
 * only under the password hash step one proved. The key is written as removeMyKey
 * removes one: a recovery (a password change, a 2FA reset, a sign-out) that committed
 * while this request was on its way ends it; one that commits after waits for the lock
 * and then finds the key.
 */
export async function finishKeyRegistration(deps: CoreDeps, me: Me, input: { name?: string | undefined; response: RegistrationResponseJSON }, meta: RequestMeta) {
  const user = await getUser(deps.db, me.companyId, me.userId);
  assertThat(user, 'session.required');
  const pending = await takeChallenge(deps.db, registerBinding(me.sessionHash, user.password_hash), 'register', deps.clock());
  if (!pending || pending.user_id !== me.userId) throw new GatehouseError('webauthn.not_accepted');
  const row = await deps.db.transaction().execute(async (tx) => {
    // The user's row locked, and still as proved (this session, this password).
    await stillProved(tx, me, user.password_hash);
    await requireCredentialChange(tx, me.userId, deps.clock());
    return registerKey(deps, tx, me, pending.challenge, input, meta);
  });
  deps.mailQueued();
  return keyView(row);
}

/** Only a change is written and audited, and only so many an hour (src/shared/signed-in-writes.ts). */
export async function renameMyKey(deps: CoreDeps, me: Me, id: string, name: string, meta: RequestMeta) {
  return deps.db.transaction().execute(async (tx) => {
    const now = deps.clock();
    const renamed = await renameCredential(tx, me.companyId, me.userId, id, name.trim());
    if (!renamed) {
      const unchanged = (await listCredentials(tx, me.companyId, me.userId)).find((key) => key.id === id);
      assertThat(unchanged, 'request.not_found');
      return keyView(unchanged);
    }
    await requireProfileEdit(tx, me.userId, now);
    await recordAudit(tx, now, audit(me, meta, 'webauthn.renamed', { keyId: renamed.id, name: renamed.name }));
    return keyView(renamed);
  });
}

/**
 * Removes a key, unless it is the user's last way in: with no authenticator app, the
 * last key that still signs in stays. A key switched off is no way in, and its removal
 * leaves the user one only if they have another: else they add a new key first (after a
 * recovery code), and no password alone ever finds the account without a factor
 * (login/factors.ts). The user's row is locked first so two removals cannot both see
 * "one more left" on PostgreSQL.
 */
export async function removeMyKey(deps: CoreDeps, me: Me, id: string, password: string | undefined, meta: RequestMeta) {
  const proved = await proveForKeyChange(deps, me, password, meta);
  await deps.db.transaction().execute(async (tx) => {
    // The user's row locked, and still as proved (this session, this password).
    await stillProved(tx, me, proved.password_hash);
    const user = await tx.selectFrom('users').select('totp_secret').where('company_id', '=', me.companyId).where('id', '=', me.userId).executeTakeFirst();
    assertThat(user, 'session.required');
    const removed = await deleteCredential(tx, me.companyId, me.userId, id);
    assertThat(removed, 'request.not_found');
    if (!user.totp_secret && (await countSwitchedOnCredentials(tx, me.companyId, me.userId)) === 0) throw new GatehouseError('webauthn.last_factor');
    await recordAudit(tx, deps.clock(), audit(me, meta, 'webauthn.removed', { keyId: removed.id, name: removed.name }));
    await queueSecurityNotice(deps, tx, me, 'key_removed');
  });
  deps.mailQueued();
}

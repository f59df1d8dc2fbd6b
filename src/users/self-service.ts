// My Settings: profile, password change and resetting one's own 2FA. Each change that
// touches a credential proves the current password first (and for 2FA a fresh code),
// then commits the change, the end of every session and token, the audit event and the
// notice email together.
import { recordAudit } from '../audit/index.ts';
import { activeProvider, reauthMethods, verifyCurrentPassword, withProof, type Proof } from '../login/index.ts';
import { deleteRecoveryCodes, passwordRuleFor, samePassword } from '../credentials/index.ts';
import { hashToken, randomToken } from '../crypto/index.ts';
import { assertThat, GatehouseError } from '../errors.ts';
import { queueSecurityNotice } from './security-notices.ts';
import type { SignedIn } from '../sessions/index.ts';
import type { CoreDeps, RequestMeta } from '../shared/deps.ts';
import { recordUserRefusal, requireCredentialChange, requireProfileEdit } from '../shared/signed-in-writes.ts';
import { invisibleCharacterProblem, tidyName } from '../shared/text.ts';
import type { Queryable } from '../storage/index.ts';
import { endUserAccess } from './access.ts';
import { deleteAllCredentials } from '../webauthn/index.ts';
import { findPendingAccountLink, revokeAccountLinks } from './account-links.ts';
import { requireAcceptablePassword } from './new-password.ts';
import { getUser, type UserRow } from './store.ts';
import { assertBreakGlassKept, lockCompanyForBreakGlass } from './break-glass.ts';

const audit = (me: SignedIn, meta: RequestMeta, action: string, detail?: Record<string, unknown>) => ({
  companyId: me.companyId,
  actorId: me.userId,
  action,
  target: me.userId,
  ip: meta.ip,
  userAgent: meta.userAgent,
  ...(detail ? { detail } : {}),
});

export async function getProfile(deps: CoreDeps, me: SignedIn) {
  const user = await getUser(deps.db, me.companyId, me.userId);
  assertThat(user, 'session.required');
  const pending = await findPendingAccountLink(deps.db, me.companyId, me.userId, 'confirm_email', deps.clock());
  return {
    username: user.username,
    displayName: user.display_name,
    email: user.email,
    pendingEmail: pending?.data ?? null,
    role: user.role,
    companyName: me.companyName,
    twoFactorEnrolledAt: user.totp_enrolled_at,
    // The company's rule, for the live checklist of the password change form.
    passwordPolicy: await passwordRuleFor(deps.db, me.companyId),
    proof: await reauthMethods(deps, me),
    passwordManagedBy: await passwordManagerOf(deps, user),
  };
}

export async function updateProfile(deps: CoreDeps, me: SignedIn, input: { displayName: string }, meta: RequestMeta) {
  // As createUser: the display-name rule judges the name as it is saved.
  const displayName = tidyName(input.displayName);
  const problem = invisibleCharacterProblem(displayName);
  if (problem) throw new GatehouseError('request.invalid', { fields: { displayName: `Display name ${problem}` } });
  await deps.db.transaction().execute(async (tx) => {
    const now = deps.clock();
    // Only a change is written and audited, and only so many an hour (signed-in-writes.ts):
    // a save repeated by a script must not fill the company's trail.
    const changed = await tx
      .updateTable('users')
      .set({ display_name: displayName })
      .where('company_id', '=', me.companyId)
      .where('id', '=', me.userId)
      .where('display_name', '<>', displayName)
      .executeTakeFirst();
    if (Number(changed.numUpdatedRows) === 0) return;
    await requireProfileEdit(tx, me.userId, now);
    await recordAudit(tx, now, audit(me, meta, 'profile.updated'));
  });
  return getProfile(deps, me);
}

/**
 * A user created by single sign-on has no password here: it lives with the company's
 * provider (as in Keycloak and ZITADEL, a federated user has no local password). Named so
 * My Settings can say where to change it instead of showing a form no one can complete.
 */
async function passwordManagerOf(deps: CoreDeps, user: UserRow): Promise<string | null> {
  if (user.password_hash !== null) return null;
  return (await activeProvider(deps.db, user.company_id))?.name ?? "your company's identity provider";
}

/** The user row once the current password is proved; a wrong one is audited and refused. */
export async function requireCurrentPassword(
  deps: CoreDeps,
  me: SignedIn,
  password: string,
  field: string,
  meta: RequestMeta,
  /** What a user with no password (single sign-on) is told instead. */
  managedElsewhere: 'password.managed_by_provider' | 'email.managed_by_provider',
) {
  const user = await getUser(deps.db, me.companyId, me.userId);
  assertThat(user, 'session.required');
  if (user.password_hash === null) throw new GatehouseError(managedElsewhere);
  if (!(await verifyCurrentPassword(deps, me, user.password_hash, password, meta))) {
    await recordAudit(deps.db, deps.clock(), audit(me, meta, 'password.check_failed', { field }));
    throw new GatehouseError('password.current_invalid', { fields: { [field]: 'Your current password is not correct.' } });
  }
  return user as UserRow & { password_hash: string };
}

/**
 * First in the transaction of a change proved before it began (the password is checked
 * outside it, the hash being slow): the user's row locked, and the change goes on only
 * while this session still stands and the password it proved is still the user's. A
 * recovery that committed meanwhile (the password changed elsewhere, sign out
 * everywhere, one session ended, a deactivation, a suspension) ends it
 * (`session.required`); one that commits after it waits for the lock (every revocation
 * takes the user's row first: endUserAccess, endSessionsByHandle) and then finds what
 * this wrote, and ends that too.
 */
export async function stillProved(tx: Queryable, me: Pick<SignedIn, 'companyId' | 'userId' | 'sessionHash'>, provedHash: string | null): Promise<void> {
  await lockWhileActive(tx, me, { provedHash });
  await sessionStands(tx, me);
}

/**
 * The same for any change a signed-in user makes (every transaction of a signed-in write
 * route: checkSignedInTransactions, src/http/audiences.ts): their row locked while they are
 * active, and the session the request came in on still standing.
 */
export async function stillSignedIn(tx: Queryable, me: Pick<SignedIn, 'companyId' | 'userId' | 'sessionHash'>, provedSince?: number): Promise<void> {
  await lockWhileActive(tx, me, {});
  await sessionStands(tx, me, provedSince);
}

async function lockWhileActive(tx: Queryable, me: Pick<SignedIn, 'companyId' | 'userId'>, proved: { provedHash?: string | null }): Promise<void> {
  let lock = tx
    .updateTable('users')
    .set((eb) => ({ password_hash: eb.ref('password_hash') }))
    .where('company_id', '=', me.companyId)
    .where('id', '=', me.userId)
    .where('status', '=', 'active');
  // A user without a password (single sign-on) proves by the second factor alone.
  if (proved.provedHash !== undefined) lock = lock.where('password_hash', proved.provedHash === null ? 'is' : '=', proved.provedHash);
  const held = await lock.executeTakeFirst();
  if (Number(held.numUpdatedRows) !== 1) throw new GatehouseError('session.required');
}

/**
 * The session the request came in on, read in a statement of its own after its user's row
 * was locked (lockWhileActive, assertStillMaster). On PostgreSQL, under READ COMMITTED, an
 * UPDATE that waited for the row re-checks only that row's own conditions against the
 * version the other transaction committed; a subquery on sessions inside it would still
 * read the statement's first snapshot, and find the session a sign-out that committed
 * while it waited had just ended. A later statement reads afresh.
 */
export async function sessionStands(tx: Queryable, me: Pick<SignedIn, 'companyId' | 'userId' | 'sessionHash'>, provedSince?: number): Promise<void> {
  const session = await tx
    .selectFrom('sessions')
    .select(['proved_at', 'created_at'])
    .where('id_hash', '=', me.sessionHash)
    .where('company_id', '=', me.companyId)
    .where('user_id', '=', me.userId)
    .executeTakeFirst();
  assertThat(session, 'session.required');
  // A sensitive change: the proof its guard accepted still stands (a newer one stands for
  // it); one withdrawn meanwhile (a key policy tightened: endSessionsWithoutKey) does not.
  if (provedSince !== undefined && Number(session.proved_at ?? session.created_at) < provedSince) throw new GatehouseError('reauth.required');
}

/**
 * Ends every session and token of the user, then gives this browser a fresh session id
 * that keeps the original login's time and factors: a password change is no new login.
 * Called holding the user's row lock (changePassword's guarded UPDATE of the password),
 * so the session is read after it: a sign-out that ended it, committed while the change
 * waited, is seen (`session.required`) and not copied back to life; one that comes after
 * waits for this to commit, then ends the copy.
 */
async function keepOnlyThisBrowser(tx: Queryable, me: SignedIn, now: number) {
  const current = await tx
    .selectFrom('sessions')
    .selectAll()
    .where('id_hash', '=', me.sessionHash)
    .where('company_id', '=', me.companyId)
    .where('user_id', '=', me.userId)
    .executeTakeFirst();
  assertThat(current, 'session.required');
  await endUserAccess(tx, now, me.companyId, me.userId, 'password_changed');
  const token = randomToken();
  await tx.insertInto('sessions').values({ ...current, id_hash: hashToken(token), last_seen_at: now }).execute();
  return { sessionToken: token, expiresAt: current.expires_at };
}

export async function changePassword(
  deps: CoreDeps,
  me: SignedIn,
  input: { currentPassword: string; newPassword: string; confirm: string },
  meta: RequestMeta,
) {
  const user = await requireCurrentPassword(deps, me, input.currentPassword, 'currentPassword', meta, 'password.managed_by_provider');
  if (samePassword(input.newPassword, input.currentPassword)) {
    throw new GatehouseError('password.unchanged', { fields: { newPassword: 'Choose a password different from your current one.' } });
  }
  await requireAcceptablePassword(
    deps.db,
    me.companyId,
    { password: input.newPassword, confirm: input.confirm, fields: { password: 'newPassword', confirm: 'confirm' } },
    me,
  );
  const passwordHash = await deps.hasher.hash(input.newPassword);
  const result = await deps.db.transaction().execute(async (tx) => {
    const now = deps.clock();
    // Only over the hash just verified: of two concurrent changes, one wins. The failure
    // count stays: it counts codes too, and a password change proves no second factor,
    // so clearing it would give whoever holds a session and the password fresh guesses at
    // the code after every change (only a completed login clears it).
    await requireCredentialChange(tx, me.userId, now);
    const stored = await tx
      .updateTable('users')
      .set({ password_hash: passwordHash })
      .where('company_id', '=', me.companyId)
      .where('id', '=', me.userId)
      .where('password_hash', '=', user.password_hash)
      .executeTakeFirst();
    if (Number(stored.numUpdatedRows) !== 1) throw new GatehouseError('password.current_invalid', { fields: { currentPassword: 'Your current password is not correct.' } });
    await revokeAccountLinks(tx, me.companyId, me.userId, 'reset_password', now);
    const kept = await keepOnlyThisBrowser(tx, me, now);
    await recordAudit(tx, now, audit(me, meta, 'password.changed'));
    await queueSecurityNotice(deps, tx, me, 'password_changed');
    return kept;
  });
  deps.mailQueued();
  return result;
}

/**
 * Clears the TOTP secret, keys and recovery codes; the next login enrolls 2FA again. The
 * proof is the one of every sensitive change (src/login/reauth.ts): password and code,
 * password and key, or a key that verified its user, spent in the transaction below.
 */
export async function resetOwnTwoFactor(deps: CoreDeps, me: SignedIn, input: Proof, meta: RequestMeta) {
  const user = await getUser(deps.db, me.companyId, me.userId);
  assertThat(user, 'session.required');
  const secretChanged = new GatehouseError('totp.code_refused');
  await withProof(deps, me, { ...input, purpose: 'two_factor_reset' }, meta, async (tx) => {
    const now = deps.clock();
    // The last break-glass Master of a company signing in through its provider keeps 2FA.
    await lockCompanyForBreakGlass(tx, me.companyId);
    // Only the secret that was read: a concurrent reset or re-enrollment wins. Proved with a
    // second factor: the next enrollment needs no mailed code (src/login/mail-proof.ts).
    const result = await tx
      .updateTable('users')
      .set({ totp_secret: null, totp_enrolled_at: null, enroll_mail_proof: 0 })
      .where('company_id', '=', me.companyId)
      .where('id', '=', me.userId)
      .where('totp_secret', user.totp_secret === null ? 'is' : '=', user.totp_secret)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) throw secretChanged;
    await deleteRecoveryCodes(tx, me.companyId, me.userId);
    // Keys too, so the next login really sets up 2FA again.
    await deleteAllCredentials(tx, me.companyId, me.userId);
    await assertBreakGlassKept(tx, me.companyId);
    await endUserAccess(tx, now, me.companyId, me.userId, 'two_factor_reset');
    await recordAudit(tx, now, audit(me, meta, 'totp.reset_by_self'));
    await queueSecurityNotice(deps, tx, me, 'two_factor_reset');
  }).catch(async (error: unknown) => {
    await recordUserRefusal(deps.db, deps.clock(), audit(me, meta, 'totp.reset_refused'));
    throw error;
  });
  deps.mailQueued();
}

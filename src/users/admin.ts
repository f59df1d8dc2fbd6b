// Company administration, the shared part: who may act on whom, and the user list.
// Every read takes the acting Master's companyId (from their session), so another
// company's user id is "not found" exactly like an id that does not exist.
import { sql } from 'kysely';
import { recordAudit } from '../audit/index.ts';
import { assertThat, GatehouseError } from '../errors.ts';
import type { RequestMeta } from '../shared/deps.ts';
import type { Queryable } from '../storage/index.ts';
import type { UsersTable } from '../storage/schema.ts';
import { assertBreakGlassKept, lockCompanyForBreakGlass } from './break-glass.ts';
import { lockUser, type Role, type UserRow } from './store.ts';

/**
 * Who makes a change in a company: a signed-in person (from the session), or an API client
 * (from its bearer token, after reachCompany settled the company). They differ in one thing
 * only, so the rules stay in one place: an API client is nobody, so it has no "self" to
 * protect and the trail names it by actorClientId with actorId null.
 */
export type Actor = UserActor | ClientActor;

/** The signed-in Master or Root Master making a change; always from the session. */
export interface UserActor {
  kind: 'user';
  companyId: string;
  userId: string;
  username: string;
  role: Role;
}

/**
 * An API client acting in a company. It acts like a Master (never the Root Master): it may
 * not change the Root Master, nor hand on the Root Master role, nor decide 2FA approvals
 * (those stay with people: they take a UserActor).
 */
export interface ClientActor {
  kind: 'api_client';
  companyId: string;
  apiClientId: string;
  name: string;
  role: 'master';
  /** The secret its token was obtained with (src/api-clients, credentialTag). */
  credentialTag: string;
}

/** The acting person's user id; null for an API client. */
export function actorUserId(actor: Actor): string | null {
  return actor.kind === 'user' ? actor.userId : null;
}

/** How the audit trail names the actor: the user, or the API client (never both). */
export function auditActor(actor: Actor) {
  return actor.kind === 'user'
    ? { actorId: actor.userId, actorClientId: null, named: { actorUsername: actor.username } }
    : { actorId: null, actorClientId: actor.apiClientId, named: { actorClientName: actor.name } };
}

export type ListStatus = 'invited' | 'not_enrolled' | 'active' | 'disabled';

/** Users are not administrators: only Masters and the Root Master come past this. */
export function assertAdministrator(actor: Actor): void {
  if (actor.role !== 'master' && actor.role !== 'root_master') throw new GatehouseError('auth.forbidden');
}

/**
 * The person making a change only a Master may make is one still, found in the change's
 * own transaction with their user row locked (a no-op UPDATE, as lockUser): active, and a
 * Master or the Root Master of `companyId`, or of the platform company (an operator; null:
 * the platform's own), the rule a client's holder is held to (holderQualifies in
 * src/api-clients/store.ts). The audience guard read the role from the session as the
 * request came in, and a demotion or a deactivation ends no session: committed meanwhile,
 * its clean-up (endSecretHolds, withdrawApprovals) could not see what this change writes
 * after it. With the row locked,
 * a demotion that committed first is seen here, and the change is refused as the guard
 * refuses a User (`auth.forbidden`, nothing written); one that comes after waits for this
 * change to commit, then finds what it wrote and ends it. On PostgreSQL under READ
 * COMMITTED the row's own conditions are checked again against the version a wait ends
 * on. Used by every change that makes a person a client's holder (a console create or
 * rotate: src/api-clients/store.ts) or a 2FA reset's requester or approver
 * (two-factor-reset.ts). assertAdministrator is the guard's check, from the session.
 */
export async function assertStillMaster(tx: Queryable, userId: string, companyId: string | null): Promise<void> {
  const held = await tx
    .updateTable('users')
    .set((eb) => ({ status: eb.ref('status') }))
    .where('id', '=', userId)
    .where('status', '=', 'active')
    .where('role', 'in', ['master', 'root_master'])
    .where((eb) =>
      eb.or([
        eb('company_id', 'in', eb.selectFrom('companies').select('companies.id').where('companies.is_platform', '=', 1)),
        ...(companyId === null ? [] : [eb('company_id', '=', companyId)]),
      ]),
    )
    .returning('id')
    .executeTakeFirst();
  if (!held) throw new GatehouseError('auth.forbidden');
}

/**
 * In an administrator's change, first: a person acting is a Master still, as their
 * session said when the request came in (assertStillMaster, their row locked). Two Masters
 * demoting or deactivating each other at once both got through on their sessions, and
 * both ended up Users; a Master deactivated mid-request invited a Master after it. An API
 * client is checked in the same transaction too, at its start and last with its own row
 * locked, by the /api/v1 request it acts through (asClient, src/api-clients; every
 * transaction of a write route: checkClientsInTransactions, src/http/api-client-guard.ts).
 */
export async function assertActorStillAdministrator(tx: Queryable, actor: Actor): Promise<void> {
  assertAdministrator(actor);
  if (actor.kind === 'user') await assertStillMaster(tx, actor.userId, actor.companyId);
}

/**
 * The user an administrator acts on: in the actor's company, not the actor, not the
 * Root Master (whose account only changes through the Root Master's own transfer). Its
 * row locked for the caller's transaction (lockUser): every admin change runs in one, and
 * a deletion racing it must not slip between this read and what the change writes. The
 * actor is checked first (assertActorStillAdministrator), in the same transaction.
 */
export async function loadTarget(db: Queryable, actor: Actor, userId: string): Promise<UserRow> {
  await assertActorStillAdministrator(db, actor);
  const target = await lockUser(db, actor.companyId, userId);
  assertThat(target, 'request.not_found');
  if (target.id === actorUserId(actor)) throw new GatehouseError('user.self_action');
  if (target.role === 'root_master') throw new GatehouseError('user.root_master_protected');
  return target;
}

/** What can take a user out of the break-glass set: active, a Master, with 2FA. */
const BREAK_GLASS_FIELDS = ['status', 'role', 'totp_secret'] as const;

/**
 * Updates the target only while it is still not the Root Master (a transfer may have
 * happened since it was read), so the rule holds under races too. Every admin change to
 * status, role or 2FA passes here, so here the company keeps its last break-glass Master
 * (src/users/break-glass.ts): the caller's transaction rolls the change back otherwise.
 */
export async function updateTarget(
  db: Queryable,
  actor: Actor,
  userId: string,
  values: Partial<Pick<UsersTable, 'status' | 'role' | 'failed_logins' | 'locked_until' | 'totp_secret' | 'totp_enrolled_at' | 'totp_last_step'>> & { lock_streak?: number; enroll_mail_proof?: number },
): Promise<void> {
  const guarded = BREAK_GLASS_FIELDS.some((field) => values[field] !== undefined);
  if (guarded) await lockCompanyForBreakGlass(db, actor.companyId);
  const result = await db
    .updateTable('users')
    .set(values)
    .where('company_id', '=', actor.companyId)
    .where('id', '=', userId)
    .where('role', '<>', 'root_master')
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) !== 1) throw new GatehouseError('user.root_master_protected');
  if (guarded) await assertBreakGlassKept(db, actor.companyId);
}

export async function auditAdminAction(
  db: Queryable,
  now: number,
  actor: Actor,
  target: Pick<UserRow, 'id' | 'username'>,
  action: string,
  meta: RequestMeta,
  detail: Record<string, unknown> = {},
): Promise<void> {
  const { actorId, actorClientId, named } = auditActor(actor);
  await recordAudit(db, now, {
    companyId: actor.companyId,
    actorId,
    actorClientId,
    action,
    target: target.id,
    ip: meta.ip,
    userAgent: meta.userAgent,
    detail: { username: target.username, ...named, ...detail },
  });
}

/**
 * `hasKey`: a user who chose a passkey or security key over the app is enrolled too, a key
 * switched off included, as the login counts it (hasSecondFactor): such a user is not asked
 * to set up 2FA at the next login, and a Master's Reset 2FA is what they may need (the list
 * offers it to `active` users). `keySwitchedOff` says that their key no longer signs in.
 * Invited is the stored status, not "no password": a user the company's identity provider
 * signed in has none, and is no invitee (no Sign Up link is theirs to use).
 */
export function listStatusOf(user: Pick<UserRow, 'status' | 'totp_secret'>, hasKey = false): ListStatus {
  if (user.status === 'disabled' || user.status === 'invited') return user.status;
  return user.totp_secret === null && !hasKey ? 'not_enrolled' : 'active';
}


export interface UserSummary {
  id: string;
  username: string;
  displayName: string;
  email: string;
  role: Role;
  status: ListStatus;
  locked: boolean;
  lockedUntil: number | null;
  createdAt: number;
  invitedBy: { id: string; username: string } | null;
  /** The newest Sign Up link still unused and not revoked (it may have expired). */
  invite: { sentAt: number; expiresAt: number } | null;
  lastLoginAt: number | null;
  /** A key of theirs is switched off (a copy of it was seen, src/login/key-copy.ts): it signs in no one until removed and added again. */
  keySwitchedOff: boolean;
}

/** A page of users in list order: at most `limit`, after the user named `afterUsername`. */
export interface UserPage {
  afterUsername?: string | undefined;
  limit: number;
}

async function summarize(db: Queryable, companyId: string, now: number, userId?: string, page?: UserPage): Promise<UserSummary[]> {
  let users = db
    .selectFrom('users as u')
    .leftJoin('users as inviter', (join) =>
      join.onRef('inviter.id', '=', 'u.invited_by').onRef('inviter.company_id', '=', 'u.company_id'),
    )
    .selectAll('u')
    .select(['inviter.username as inviter_username'])
    .select(sql<number>`case when exists (select 1 from webauthn_credentials w where w.company_id = u.company_id and w.user_id = u.id) then 1 else 0 end`.as('has_key'))
    .select(sql<number>`case when exists (select 1 from webauthn_credentials w where w.company_id = u.company_id and w.user_id = u.id and w.switched_off_at is not null) then 1 else 0 end`.as('key_switched_off'))
    .where('u.company_id', '=', companyId)
    // By name as people read it: username_key is a look-alike skeleton ("m" is "rn").
    .orderBy(sql`lower(u.username)`)
    .orderBy('u.username');
  if (userId !== undefined) users = users.where('u.id', '=', userId);
  if (page?.afterUsername !== undefined) {
    // Keyset on the list's own order, so a page never repeats or skips a user.
    const after = page.afterUsername;
    users = users.where(sql<boolean>`(lower(u.username) > lower(${after}) or (lower(u.username) = lower(${after}) and u.username > ${after}))`);
  }
  if (page) users = users.limit(page.limit);
  const rows = await users.execute();
  if (rows.length === 0) return [];

  let links = db
    .selectFrom('action_links')
    .select(['user_id', 'created_at', 'expires_at'])
    .where('company_id', '=', companyId)
    .where('purpose', '=', 'signup')
    .where('consumed_at', 'is', null)
    .where('revoked_at', 'is', null);
  if (userId !== undefined) links = links.where('user_id', '=', userId);
  const invites = new Map<string, { sentAt: number; expiresAt: number }>();
  for (const link of await links.execute()) {
    const known = invites.get(link.user_id);
    if (!known || known.sentAt < link.created_at) invites.set(link.user_id, { sentAt: link.created_at, expiresAt: link.expires_at });
  }

  // Until the login records last_login_at, the newest successful login in the audit trail.
  const unknownLogins = rows.filter((r) => r.last_login_at === null && r.password_hash !== null).map((r) => r.id);
  const logins = new Map<string, number>();
  if (unknownLogins.length > 0) {
    const found = await db
      .selectFrom('audit_events')
      .select((eb) => ['actor_id', eb.fn.max('created_at').as('at')])
      .where('company_id', '=', companyId)
      .where('action', '=', 'login.succeeded')
      .where('actor_id', 'in', unknownLogins)
      .groupBy('actor_id')
      .execute();
    for (const row of found) if (row.actor_id !== null) logins.set(row.actor_id, Number(row.at));
  }

  return rows.map((r) => ({
    id: r.id,
    username: r.username,
    displayName: r.display_name,
    email: r.email,
    role: r.role,
    status: listStatusOf(r, Number(r.has_key) === 1),
    locked: r.locked_until !== null && Number(r.locked_until) > now,
    lockedUntil: r.locked_until !== null && Number(r.locked_until) > now ? Number(r.locked_until) : null,
    createdAt: Number(r.created_at),
    invitedBy: r.invited_by && r.inviter_username ? { id: r.invited_by, username: r.inviter_username } : null,
    invite: r.password_hash === null ? (invites.get(r.id) ?? null) : null,
    lastLoginAt: r.last_login_at !== null ? Number(r.last_login_at) : (logins.get(r.id) ?? null),
    keySwitchedOff: Number(r.key_switched_off) === 1,
  }));
}

export async function listCompanyUsers(db: Queryable, actor: Actor, now: number): Promise<UserSummary[]> {
  assertAdministrator(actor);
  return summarize(db, actor.companyId, now);
}

export async function describeCompanyUser(db: Queryable, actor: Actor, userId: string, now: number): Promise<UserSummary> {
  assertAdministrator(actor);
  const [found] = await summarize(db, actor.companyId, now, userId);
  assertThat(found, 'request.not_found');
  return found;
}

/**
 * A company's users for a caller whose reach to the company is already settled (an API
 * client, through reachCompany in api-clients): the company id comes from that check.
 */
export async function listUsersOfCompany(db: Queryable, companyId: string, now: number, page?: UserPage): Promise<UserSummary[]> {
  return summarize(db, companyId, now, undefined, page);
}

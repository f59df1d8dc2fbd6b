// The one place module access ends. Every way a user's access ends (Log Out, sign out
// everywhere, one session ended from My Settings, deactivation, deletion, password
// change or reset, 2FA reset, company suspension, an allowlist that now excludes the
// session's address, a key requirement that now covers a session no key signed, a module revoked for or switched off by the company, a user no longer in a group that
// may use a module) calls this in
// the same transaction as the change: the grants made in the ended sessions go, with
// every code, access token and refresh token made from them, and each module with a
// back-channel logout URI that held one is owed a logout notice (outbox.ts).
import type { Queryable } from '../../storage/index.ts';
import { revokeAccountTokens } from '../oidc/revoke.ts';
import { enqueueLogoutNotice } from './outbox.ts';

export type ModuleAccessScope =
  /** Browser sessions by id hash: what those sessions led to. */
  | { sessionHashes: string[] }
  /** Everything of one user, including tokens from before grants were bound to sessions. */
  | { companyId: string; userId: string }
  /** One module for one company (grant revoked by an operator, or switched off). */
  | { companyId: string; clientId: string }
  /** One module for one user (no longer in a group that may use it). */
  | { companyId: string; userId: string; clientId: string };

/** Whether a grant still in force binds this module's sign-in (its session id) for the account. */
export async function grantInForce(db: Queryable, binding: { clientId: string; accountId: string; sid: string | null }): Promise<boolean> {
  const found = await db
    .selectFrom('module_grant_sessions')
    .innerJoin('oidc_records', (join) => join.onRef('oidc_records.id', '=', 'module_grant_sessions.grant_id').on('oidc_records.model', '=', 'Grant'))
    .select('module_grant_sessions.grant_id')
    .where('module_grant_sessions.client_id', '=', binding.clientId)
    .where('module_grant_sessions.account_id', '=', binding.accountId)
    .where((eb) => (binding.sid === null ? eb('module_grant_sessions.sid', 'is', null) : eb('module_grant_sessions.sid', '=', binding.sid)))
    .executeTakeFirst();
  return found !== undefined;
}

/** The grants still in force that `scope` binds, with where each module hears of an end. */
async function boundGrants(db: Queryable, scope: ModuleAccessScope) {
  return db
    .selectFrom('module_grant_sessions')
    // Only grants still in force: a module that already logged out, or a grant that
    // expired, is owed nothing.
    .innerJoin('oidc_records', (join) =>
      join.onRef('oidc_records.id', '=', 'module_grant_sessions.grant_id').on('oidc_records.model', '=', 'Grant'),
    )
    .leftJoin('modules', 'modules.client_id', 'module_grant_sessions.client_id')
    .select([
      'module_grant_sessions.grant_id as grantId',
      'module_grant_sessions.company_id as companyId',
      'module_grant_sessions.client_id as clientId',
      'module_grant_sessions.account_id as accountId',
      'module_grant_sessions.sid as sid',
      'module_grant_sessions.provider_session_uid as providerSessionUid',
      'modules.backchannel_logout_uri as backchannelUri',
    ])
    .where((eb) => {
      if ('sessionHashes' in scope) return eb('module_grant_sessions.session_hash', 'in', scope.sessionHashes);
      if ('userId' in scope && 'clientId' in scope) {
        return eb.and([
          eb('module_grant_sessions.company_id', '=', scope.companyId),
          eb('module_grant_sessions.user_id', '=', scope.userId),
          eb('module_grant_sessions.client_id', '=', scope.clientId),
        ]);
      }
      if ('userId' in scope) {
        return eb.and([eb('module_grant_sessions.company_id', '=', scope.companyId), eb('module_grant_sessions.user_id', '=', scope.userId)]);
      }
      return eb.and([eb('module_grant_sessions.company_id', '=', scope.companyId), eb('module_grant_sessions.client_id', '=', scope.clientId)]);
    })
    .execute();
}

/** A logout notice to each module with a back-channel URI that held one of `bound`. */
async function tellModules(db: Queryable, now: number, bound: Awaited<ReturnType<typeof boundGrants>>, reason: string): Promise<void> {
  for (const grant of bound) {
    if (!grant.backchannelUri) continue;
    await enqueueLogoutNotice(db, now, {
      companyId: grant.companyId,
      clientId: grant.clientId,
      accountId: grant.accountId,
      sid: grant.sid,
      reason,
    });
  }
}

/**
 * A browser session replaced by another person's login in the same browser: the modules
 * it was signed in to are told (the previous person's module sessions end there), and its
 * bindings go, so nothing is owed twice. Its grants and the browser's provider session are
 * left as a bare session end leaves them: dead at their next use (the session is gone),
 * while a sign-in in progress in that provider session, which the login may be for (a
 * module's id_token_hint naming this person), goes on; the provider ends the previous
 * account's session itself when it resumes. Only the ended sign-ins' entries in that
 * provider session go (forgetSignIns), so none of those modules sees its ended sid again.
 */
export async function tellModulesSessionReplaced(db: Queryable, now: number, sessionHash: string, reason: string): Promise<void> {
  const bound = await boundGrants(db, { sessionHashes: [sessionHash] });
  await tellModules(db, now, bound, reason);
  await forgetSignIns(db, bound);
  await db.deleteFrom('module_grant_sessions').where('session_hash', '=', sessionHash).execute();
}

/**
 * Takes the modules' sign-ins of `bound` out of the provider sessions that hold them (the
 * session's `authorizations`, where oidc-provider keeps each module's sid and grant). A
 * provider session outlives a replaced Gatehouse session, and the provider hands a module
 * the sid it holds for it: when the previous person came back to that browser, the module
 * got the sid it had been told was logged out (a sign-in it may refuse, or one that
 * revives what it ended). Without the entry, the next sign-in there gets a new sid.
 */
async function forgetSignIns(db: Queryable, bound: Awaited<ReturnType<typeof boundGrants>>): Promise<void> {
  const clientsBySession = new Map<string, Set<string>>();
  for (const grant of bound) {
    if (grant.providerSessionUid === null) continue;
    const clients = clientsBySession.get(grant.providerSessionUid) ?? new Set<string>();
    clientsBySession.set(grant.providerSessionUid, clients.add(grant.clientId));
  }
  for (const [uid, clients] of clientsBySession) {
    const stored = await db.selectFrom('oidc_records').select(['id', 'payload']).where('model', '=', 'Session').where('uid', '=', uid).executeTakeFirst();
    if (!stored) continue;
    const session = JSON.parse(stored.payload) as { authorizations?: Record<string, unknown> };
    if (!session.authorizations) continue;
    for (const clientId of clients) delete session.authorizations[clientId];
    // Only as read: a provider write since then (the same browser resuming) keeps its own.
    await db.updateTable('oidc_records').set({ payload: JSON.stringify(session) }).where('id', '=', stored.id).where('model', '=', 'Session').where('payload', '=', stored.payload).execute();
  }
}

export async function endModuleAccess(db: Queryable, now: number, scope: ModuleAccessScope, reason: string): Promise<void> {
  if ('sessionHashes' in scope && scope.sessionHashes.length === 0) return;
  const bound = await boundGrants(db, scope);
  await tellModules(db, now, bound, reason);

  const grantIds = bound.map((grant) => grant.grantId);
  if (grantIds.length > 0) {
    await db
      .deleteFrom('oidc_records')
      .where((eb) => eb.or([eb('grant_id', 'in', grantIds), eb.and([eb('model', '=', 'Grant'), eb('id', 'in', grantIds)])]))
      .execute();
  }
  // The provider's own session in the browsers concerned goes too, so the next sign-in
  // to a module starts a new one (and a new sid).
  const providerSessions = [...new Set(bound.map((grant) => grant.providerSessionUid).filter((uid): uid is string => uid !== null))];
  if ('sessionHashes' in scope && providerSessions.length > 0) {
    await db.deleteFrom('oidc_records').where('model', '=', 'Session').where('uid', 'in', providerSessions).execute();
  }

  if ('sessionHashes' in scope) {
    await db.deleteFrom('module_grant_sessions').where('session_hash', 'in', scope.sessionHashes).execute();
  } else if ('userId' in scope && 'clientId' in scope) {
    // Tokens of grants made before grants were bound to sessions carry no binding; the
    // account check at their use (modules/access.ts) refuses them.
    await db
      .deleteFrom('module_grant_sessions')
      .where('company_id', '=', scope.companyId)
      .where('user_id', '=', scope.userId)
      .where('client_id', '=', scope.clientId)
      .execute();
  } else if ('userId' in scope) {
    await db
      .deleteFrom('module_grant_sessions')
      .where('company_id', '=', scope.companyId)
      .where('user_id', '=', scope.userId)
      .execute();
    await revokeAccountTokens(db, scope.companyId, scope.userId);
  } else {
    await db
      .deleteFrom('module_grant_sessions')
      .where('company_id', '=', scope.companyId)
      .where('client_id', '=', scope.clientId)
      .execute();
  }
}


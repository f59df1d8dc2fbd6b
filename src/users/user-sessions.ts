// A Master's view of one user's sessions, and ending them: the lost laptop, the
// technician who just left. The same handles as My Settings; every query is scoped by the
// actor's company, so another company's user is "not found". Ending follows the rules of
// every change to another account (loadTarget: not oneself, which My Settings does, and
// never the Root Master), and is audited with the actor, a Master or an API client.
import { assertThat } from '../errors.ts';
import type { CoreDeps, RequestMeta } from '../shared/deps.ts';
import { endUserAccess } from './access.ts';
import { assertAdministrator, auditAdminAction, loadTarget, type Actor } from './admin.ts';
import { endSessionsByHandle, liveSessionsOf } from './my-sessions.ts';
import { getUser } from './store.ts';

/** The user's live sessions, newest use first (any user of the company, the Root Master too: reading changes nothing). */
export async function listUserSessions(deps: CoreDeps, actor: Actor, userId: string) {
  assertAdministrator(actor);
  const user = await getUser(deps.db, actor.companyId, userId);
  assertThat(user, 'request.not_found');
  const sessions = await liveSessionsOf(deps, actor.companyId, user.id);
  return sessions.map(({ idHash: _, ...session }) => session);
}

/** Ends one session of the user and the module sign-ins it led to. */
export async function endUserSession(deps: CoreDeps, actor: Actor, userId: string, handle: string, meta: RequestMeta): Promise<void> {
  await deps.db.transaction().execute(async (tx) => {
    const now = deps.clock();
    const target = await loadTarget(tx, actor, userId);
    await endSessionsByHandle(tx, now, actor.companyId, target.id, handle, 'ended_by_administrator');
    await auditAdminAction(tx, now, actor, target, 'user.session_ended', meta, { session: handle });
  });
}

/** Every session and module sign-in of the user: they sign in again, with 2FA. */
export async function endAllUserSessions(deps: CoreDeps, actor: Actor, userId: string, meta: RequestMeta): Promise<void> {
  await deps.db.transaction().execute(async (tx) => {
    const now = deps.clock();
    const target = await loadTarget(tx, actor, userId);
    await endUserAccess(tx, now, actor.companyId, target.id, 'ended_by_administrator');
    await auditAdminAction(tx, now, actor, target, 'user.signed_out_everywhere', meta);
  });
}

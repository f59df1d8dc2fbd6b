// The one door from the flow cookie to the login flow it names. A cookie names a stored
// flow (a row, from the password step on) or carries a pending one (identify's sealed
// token, pending-flow.ts: at the password step, not stored yet). Every step takes its
// flow from here, so none can forget the pending kind: a pending flow is at the password
// step like any flow there, and at any other step it is the wrong step, naturally.
import { hashToken } from '../crypto/index.ts';
import { GatehouseError } from '../errors.ts';
import type { CoreDeps } from '../shared/deps.ts';
import type { Queryable } from '../storage/index.ts';
import { deleteStoredFlow, findStoredFlow, loginIdInToken, type FlowRow, type FlowStep } from './flows.ts';
import { storedFlowWithSubject, type LoginSubject } from './login-subject.ts';
import { isPendingFlowToken, openPendingFlow } from './pending-flow.ts';

/** `loginId`: the login's id (loginIdOf), the same from identify to the last step. */
export type CookieFlow =
  | { kind: 'stored'; flow: FlowRow; loginId: string }
  /** `storedToken`: the name the flow gets once stored, the flow cookie from then on. */
  | { kind: 'pending'; flow: FlowRow; storedToken: string; loginId: string };

/** The flow the cookie names or carries; undefined when there is none, it expired, or the token was altered. */
export async function flowFromCookie(deps: CoreDeps, token: string | undefined): Promise<CookieFlow | undefined> {
  if (!token) return undefined;
  const now = deps.clock();
  if (isPendingFlowToken(token)) {
    const pending = openPendingFlow(deps, token, now);
    return pending && { kind: 'pending', flow: pending.flow, storedToken: pending.storedToken, loginId: loginIdOf(pending.flow) };
  }
  const flow = await findStoredFlow(deps.db, token, now);
  return flow && { kind: 'stored', flow, loginId: loginIdOfStoredToken(token) };
}

/** The flow at the expected step (or one of them), or the error the person should see. */
export async function requireFlowAt(deps: CoreDeps, token: string | undefined, step: FlowStep | readonly FlowStep[]): Promise<CookieFlow> {
  return atStep(await flowFromCookie(deps, token), step);
}

/**
 * requireFlowAt, with the flow's user and what the step decides on about them
 * (login-subject.ts) read in the same statement; `subject` undefined when the flow names
 * no user, or one no longer there. A pending flow is read as requireFlowAt reads it: it
 * has no row to join, and it is at the password step, whose own read finds its user.
 */
export async function requireFlowWithSubjectAt(deps: CoreDeps, token: string | undefined, step: FlowStep): Promise<CookieFlow & { subject: LoginSubject | undefined }> {
  if (token && !isPendingFlowToken(token)) {
    const read = await storedFlowWithSubject(deps.db, token, deps.clock());
    return { ...atStep(read && { kind: 'stored', flow: read.flow, loginId: loginIdOfStoredToken(token) }, step), subject: read?.subject };
  }
  return { ...(await requireFlowAt(deps, token, step)), subject: undefined };
}

function atStep(found: CookieFlow | undefined, step: FlowStep | readonly FlowStep[]): CookieFlow {
  if (!found) throw new GatehouseError('login.flow_expired');
  if (typeof step === 'string' ? found.flow.step !== step : !step.includes(found.flow.step)) throw new GatehouseError('login.wrong_step');
  return found;
}

/**
 * The name a page knows its login by (`loginId` in the login's answers): the same from
 * identify to the last step, whichever kind of cookie carries the flow, and derived from
 * the flow's first stored name, from which nothing leads back to the cookie. A flow renamed
 * past a proof (flows.ts moveFlowPastProof) keeps it: its new token carries it.
 */
export function loginIdOf(flow: Pick<FlowRow, 'id_hash'>): string {
  return hashToken(`login-id:${flow.id_hash}`).slice(0, 32);
}

const loginIdOfStoredToken = (token: string) => loginIdInToken(token) ?? loginIdOf({ id_hash: hashToken(token) });

/** loginIdOf the flow a cookie's token names or carries, read without the database; undefined for a token that names nothing. */
export function loginIdOfToken(deps: CoreDeps, token: string): string | undefined {
  if (!isPendingFlowToken(token)) return loginIdOfStoredToken(token);
  const pending = openPendingFlow(deps, token, deps.clock());
  return pending && loginIdOf(pending.flow);
}

/**
 * A browser has one flow cookie for all its tabs: a login started in another tab replaces
 * the flow a page was showing. A step sent from that page names the login it shows
 * (`shown`, the X-Gatehouse-Login header) and is refused when the cookie's login is
 * another, before anything is checked or counted: a password typed for one account is
 * never tried against another. Without `shown` (a client that does not say) nothing is
 * held; a cookie naming no flow is left to the step, which answers login.flow_expired.
 */
export function requireShownLogin(deps: CoreDeps, token: string | undefined, shown: string | undefined): void {
  if (shown === undefined || token === undefined) return;
  const current = loginIdOfToken(deps, token);
  if (current !== undefined && current !== shown) throw new GatehouseError('login.restarted');
}

/** Ends a flow: a stored one is deleted; a pending one lives only in its cookie, so nothing is written. */
export async function endFlow(db: Queryable, found: CookieFlow): Promise<void> {
  if (found.kind === 'stored') await deleteStoredFlow(db, found.flow);
}

/**
 * "Start again", or a new identify over an old flow: the stored flow the cookie names is
 * deleted, unread; a pending token names no row, so nothing is written for it.
 */
export async function abandonFlow(deps: CoreDeps, token: string | undefined): Promise<void> {
  if (token && !isPendingFlowToken(token)) await deleteStoredFlow(deps.db, token);
}

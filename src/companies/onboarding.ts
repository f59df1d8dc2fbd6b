// Approval and welcome: one transaction creates the company, its Root Master, a Sign Up
// link and the "Welcome to Gatehouse" email, so none exists without the others.
import { recordAudit } from '../audit/index.ts';
import { assertThat, GatehouseError } from '../errors.ts';
import { enqueueMail, welcomeEmail } from '../mail/index.ts';
import type { CoreDeps, RequestMeta } from '../shared/deps.ts';
import type { Queryable } from '../storage/index.ts';
import { createUser, findRootMaster, issueSignupLink, lockInvitingCompany } from '../users/index.ts';
import { claimPendingRequest, getAccountRequest, linkRequestToCompany, submitAccountRequest, type AccountRequestInput } from './requests.ts';
import { createCompany, getCompany } from './store.ts';

/** A username from an email's local part: "Jane.Doe+x@acme.io" -> "jane.doe". */
export function defaultUsername(email: string): string {
  const local = (email.split('@')[0] ?? '').split('+')[0] ?? '';
  const cleaned = local.toLowerCase().replace(/[^a-z0-9._-]/g, '');
  return cleaned.length >= 2 ? cleaned.slice(0, 64) : 'admin';
}

/**
 * Who decides a request: an operator (a person), or a platform API client. The request
 * keeps the decider's id; the trail names the operator by actorId or the client by
 * actorClientId, never both.
 */
export type Decider = { operatorId: string } | { apiClientId: string };
export function deciderOf(by: Decider) {
  return 'apiClientId' in by
    ? { decidedBy: by.apiClientId, actorId: null, actorClientId: by.apiClientId }
    : { decidedBy: by.operatorId, actorId: by.operatorId, actorClientId: null };
}

/**
 * An account request entered on a company's behalf, by an operator in the console or a
 * platform API client: recorded with who entered it (`company.request_entered`) in the
 * insert's transaction, as the approval and rejection that follow are. Approving it makes
 * a company and mails its Root Master a Sign Up link, so the trail must say where the
 * request came from. The public form's requests have no one to name.
 */
export async function enterAccountRequest(deps: CoreDeps, input: AccountRequestInput, by: Decider, meta: RequestMeta) {
  const { actorId, actorClientId } = deciderOf(by);
  return deps.db.transaction().execute(async (tx) => {
    const now = deps.clock();
    const created = await submitAccountRequest(tx, input, 'operator', now);
    await recordAudit(tx, now, {
      companyId: null,
      actorId,
      actorClientId,
      action: 'company.request_entered',
      target: created.id,
      ip: meta.ip,
      userAgent: meta.userAgent,
      detail: { companyName: created.company_name },
    });
    return created;
  });
}

async function queueWelcome(
  deps: CoreDeps,
  tx: Queryable,
  company: { id: string; name: string },
  user: { id: string; username: string; email: string },
  now: number,
) {
  const link = await issueSignupLink(tx, company.id, user.id, now, deps.config.linkTtlMs, user.email);
  const signUpUrl = new URL(`/signup/${link.token}`, deps.config.publicUrl).toString();
  const mail = welcomeEmail({
    companyName: company.name,
    username: user.username,
    signUpUrl,
    expiresAt: new Date(link.expiresAt),
  });
  await enqueueMail(tx, deps.secrets, now, { companyId: company.id, to: user.email, userId: user.id, ...mail });
  return { signUpUrl, expiresAt: link.expiresAt };
}

export async function approveAccountRequest(
  deps: CoreDeps,
  requestId: string,
  options: { username?: string | undefined } & Decider,
  meta: RequestMeta,
) {
  const by = deciderOf(options);
  const existing = await getAccountRequest(deps.db, requestId);
  assertThat(existing, 'request.not_found');
  const result = await deps.db.transaction().execute(async (tx) => {
    const now = deps.clock();
    const request = await claimPendingRequest(tx, requestId, { status: 'approved', operatorId: by.decidedBy }, now);
    assertThat(request, 'request.not_pending');
    const company = await createCompany(tx, { name: request.company_name }, now);
    const user = await createUser(
      tx,
      company.id,
      {
        username: options.username?.trim() || defaultUsername(request.email),
        email: request.email,
        displayName: request.contact_name,
        role: 'root_master',
      },
      now,
      deps.config.companyTotals.users,
    );
    await linkRequestToCompany(tx, request.id, company.id);
    await queueWelcome(deps, tx, company, user, now);
    await recordAudit(tx, now, {
      companyId: company.id,
      actorId: by.actorId,
      actorClientId: by.actorClientId,
      action: 'company.approved',
      target: request.id,
      ip: meta.ip,
      userAgent: meta.userAgent,
    });
    return { companyId: company.id, username: user.username };
  });
  deps.mailQueued();
  return result;
}

export async function rejectAccountRequest(
  deps: CoreDeps,
  requestId: string,
  options: { reason: string } & Decider,
  meta: RequestMeta,
) {
  const by = deciderOf(options);
  const existing = await getAccountRequest(deps.db, requestId);
  assertThat(existing, 'request.not_found');
  await deps.db.transaction().execute(async (tx) => {
    const now = deps.clock();
    const request = await claimPendingRequest(
      tx,
      requestId,
      { status: 'rejected', operatorId: by.decidedBy, reason: options.reason },
      now,
    );
    assertThat(request, 'request.not_pending');
    await recordAudit(tx, now, {
      companyId: null,
      actorId: by.actorId,
      actorClientId: by.actorClientId,
      action: 'company.rejected',
      target: request.id,
      ip: meta.ip,
      userAgent: meta.userAgent,
      detail: { reason: options.reason },
    });
  });
}

/**
 * Sends a fresh welcome email; the earlier Sign Up link stops working. Only to a tenant
 * company: the platform company's Root Master is the first operator, whose link the server
 * prints (and `gatehouse operator setup-link`), so a mailed one would revoke it and go to
 * a Mailbox other operators read; the platform is "not found", for the console and for
 * /api/v1 alike. The company's row is locked first, while it is active (as for every
 * invitation): resends of one company take turns, so each revokes the link the one before
 * it issued and one link stays live (on PostgreSQL two at once each inserted their own,
 * and both worked), and a suspended company gets none, since its link would work again
 * once it was reactivated, past the suspension that revoked every link.
 */
export async function resendWelcome(
  deps: CoreDeps,
  companyId: string,
  options: Decider,
  meta: RequestMeta,
) {
  const by = deciderOf(options);
  const result = await deps.db.transaction().execute(async (tx) => {
    const now = deps.clock();
    const company = await getCompany(tx, companyId);
    assertThat(company && company.is_platform === 0, 'request.not_found');
    assertThat(await lockInvitingCompany(tx, company.id), 'company.suspended');
    const user = await findRootMaster(tx, company.id);
    assertThat(user, 'request.not_found');
    if (user.password_hash !== null) throw new GatehouseError('company.already_signed_up');
    const sent = await queueWelcome(deps, tx, company, user, now);
    await recordAudit(tx, now, {
      companyId: company.id,
      actorId: by.actorId,
      actorClientId: by.actorClientId,
      action: 'company.welcome_resent',
      target: user.id,
      ip: meta.ip,
      userAgent: meta.userAgent,
    });
    return sent;
  });
  deps.mailQueued();
  return result;
}

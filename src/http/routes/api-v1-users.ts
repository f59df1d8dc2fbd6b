// /api/v1 operations on one user of a company: read, change role, reactivate, delete,
// unlock, resend the invitation, sessions, 2FA reset. Each settles the company first
// (reachAsActor: another company's id is "not found"), then calls the console's
// capability with the API client as a Master. What an API client cannot do stays out:
// the Root Master transfer, and deciding a 2FA approval (a client may ask for a reset;
// people decide, and never the one holding the client's secret: docs/API.md).
import { apiOneUser, companyParams, companyUserParams, companyUserSessionParams } from '../../contract/api-v1.ts';
import { done } from '../../contract/common.ts';
import { inviteResent, pendingApprovals, roleBody, twoFactorResetOutcome, userSessions } from '../../contract/company.ts';
import {
  changeRole,
  deleteUser,
  describeCompanyUser,
  endAllUserSessions,
  endUserSession,
  listPendingApprovals,
  listUserSessions,
  reactivateUser,
  resendInvite,
  resetTwoFactor,
  unlockUser,
} from '../../users/index.ts';
import { sessionView } from '../../presenters/index.ts';
import { requestMeta } from '../guards.ts';
import { iso } from '../presenters.ts';
import { reachAsActor, userView } from './api-v1-tenant.ts';
import type { V1 } from './api-v1.ts';

export function userRoutes({ api, deps }: V1) {
  api.get(
    '/companies/:companyId/users/:userId',
    { config: { scope: 'users:read' }, schema: { summary: 'One user of the company', params: companyUserParams, response: { 200: apiOneUser } } },
    async (request) => {
      const actor = reachAsActor(request);
      return { user: userView(await describeCompanyUser(deps.db, actor, request.params.userId, deps.clock()), deps.clock()) };
    },
  );

  api.post(
    '/companies/:companyId/users/:userId/role',
    {
      config: { scope: 'users:write', refusals: ['user.root_master_protected', 'user.last_break_glass'] },
      schema: { summary: "Change a user's role (master or user; never the Root Master's)", params: companyUserParams, body: roleBody, response: { 200: done } },
    },
    async (request) => {
      await changeRole(deps, reachAsActor(request), request.params.userId, request.body.role, requestMeta(request));
      return {};
    },
  );

  // With what each may refuse besides (the Root Master is no one's to change; a deletion
  // may leave no break-glass Master).
  const simpleActions = {
    reactivate: [reactivateUser, 'Reactivate a deactivated user', ['user.root_master_protected']],
    delete: [deleteUser, 'Delete a user (the audit trail keeps their name)', ['user.root_master_protected', 'user.last_break_glass']],
    unlock: [unlockUser, 'Unlock a user locked out by failed passwords', ['user.root_master_protected', 'user.unlock_limited']],
    'sessions/end-all': [endAllUserSessions, 'End every session and module sign-in of a user (they sign in again, with 2FA)', ['user.root_master_protected']],
  } as const;
  for (const [name, [act, summary, refusals]] of Object.entries(simpleActions)) {
    api.post(
      `/companies/:companyId/users/:userId/${name}`,
      { config: { scope: 'users:write', refusals }, schema: { summary, params: companyUserParams, response: { 200: done } } },
      async (request) => {
        await act(deps, reachAsActor(request), request.params.userId, requestMeta(request));
        return {};
      },
    );
  }

  api.post(
    '/companies/:companyId/users/:userId/resend-invite',
    {
      config: { scope: 'users:write', refusals: ['user.root_master_protected', 'user.disabled', 'user.already_signed_up', 'invite.suspended_company', 'invite.rate_limited'] },
      schema: { summary: 'Send a new Sign Up link (the old one stops working)', params: companyUserParams, response: { 200: inviteResent } },
    },
    async (request) => {
      const sent = await resendInvite(deps, reachAsActor(request), request.params.userId, requestMeta(request));
      return { inviteExpiresAt: iso(sent.expiresAt) };
    },
  );

  api.get(
    '/companies/:companyId/users/:userId/sessions',
    { config: { scope: 'users:read' }, schema: { summary: "A user's live sessions, newest use first", params: companyUserParams, response: { 200: userSessions } } },
    async (request) => {
      const actor = reachAsActor(request);
      return { sessions: (await listUserSessions(deps, actor, request.params.userId)).map(sessionView) };
    },
  );

  api.post(
    '/companies/:companyId/users/:userId/sessions/:handle/end',
    {
      config: { scope: 'users:write', refusals: ['user.root_master_protected'] },
      schema: { summary: "End one of a user's sessions (and the module sign-ins it led to)", params: companyUserSessionParams, response: { 200: done } },
    },
    async (request) => {
      const { userId, handle } = request.params;
      await endUserSession(deps, reachAsActor(request), userId, handle, requestMeta(request));
      return {};
    },
  );

  api.post(
    '/companies/:companyId/users/:userId/reset-2fa',
    {
      // api_client.secret_changed: its client's secret rotated while the reset was being asked.
      config: { scope: 'mfa:reset', refusals: ['user.root_master_protected', 'user.not_enrolled', 'approval.already_pending', 'user.last_break_glass', 'api_client.secret_changed'] },
      schema: {
        summary: "Reset a user's 2FA; 202 when the company's two-person rule has a Master approve it",
        params: companyUserParams,
        response: { 200: twoFactorResetOutcome, 202: twoFactorResetOutcome },
      },
    },
    async (request, reply) => {
      const outcome = await resetTwoFactor(deps, reachAsActor(request), request.params.userId, requestMeta(request));
      return reply.status(outcome.status === 'pending' ? 202 : 200).send(outcome);
    },
  );

  api.get(
    '/companies/:companyId/approvals',
    { config: { scope: 'users:read' }, schema: { summary: '2FA resets waiting for a Master to approve', params: companyParams, response: { 200: pendingApprovals } } },
    async (request) => {
      const pending = await listPendingApprovals(deps.db, reachAsActor(request), deps.clock());
      return { approvals: pending.map((a) => ({ ...a, createdAt: iso(a.createdAt) })) };
    },
  );
}

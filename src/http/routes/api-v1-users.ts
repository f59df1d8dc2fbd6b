// /api/v1 operations on one user of a company: read, change role, reactivate, delete,
// unlock, resend the invitation. Each settles the company first (reachAsActor: another
// company's id is "not found"), then calls the console's capability with the API client
// as a Master. What an API client cannot do stays out: the Root Master transfer and 2FA
// resets (an approval row names a person as its requester, so a client's request could
// not be told apart from, or kept from, the approving Master; docs/API.md says so).
import { apiOneUser, companyUserParams } from '../../contract/api-v1.ts';
import { done } from '../../contract/common.ts';
import { inviteResent, roleBody } from '../../contract/company.ts';
import { changeRole, deleteUser, describeCompanyUser, reactivateUser, resendInvite, unlockUser } from '../../users/index.ts';
import { requestMeta } from '../guards.ts';
import { iso } from '../presenters.ts';
import { reachAsActor, userView } from './api-v1-tenant.ts';
import type { V1 } from './api-v1.ts';

export function userRoutes({ api, deps }: V1) {
  api.get(
    '/companies/:companyId/users/:userId',
    { config: { scope: 'users:read' }, schema: { summary: 'One user of the company', params: companyUserParams, response: { 200: apiOneUser } } },
    async (request) => {
      const actor = await reachAsActor(deps, request);
      return { user: userView(await describeCompanyUser(deps.db, actor, request.params.userId, deps.clock()), deps.clock()) };
    },
  );

  api.post(
    '/companies/:companyId/users/:userId/role',
    {
      config: { scope: 'users:write' },
      schema: { summary: "Change a user's role (master or user; never the Root Master's)", params: companyUserParams, body: roleBody, response: { 200: done } },
    },
    async (request) => {
      await changeRole(deps, await reachAsActor(deps, request), request.params.userId, request.body.role, requestMeta(request));
      return {};
    },
  );

  const simpleActions = {
    reactivate: [reactivateUser, 'Reactivate a deactivated user'],
    delete: [deleteUser, 'Delete a user (the audit trail keeps their name)'],
    unlock: [unlockUser, 'Unlock a user locked out by failed passwords'],
  } as const;
  for (const [name, [act, summary]] of Object.entries(simpleActions)) {
    api.post(
      `/companies/:companyId/users/:userId/${name}`,
      { config: { scope: 'users:write' }, schema: { summary, params: companyUserParams, response: { 200: done } } },
      async (request) => {
        await act(deps, await reachAsActor(deps, request), request.params.userId, requestMeta(request));
        return {};
      },
    );
  }

  api.post(
    '/companies/:companyId/users/:userId/resend-invite',
    {
      config: { scope: 'users:write' },
      schema: { summary: 'Send a new Sign Up link (the old one stops working)', params: companyUserParams, response: { 200: inviteResent } },
    },
    async (request) => {
      const sent = await resendInvite(deps, await reachAsActor(deps, request), request.params.userId, requestMeta(request));
      return { inviteExpiresAt: iso(sent.expiresAt) };
    },
  );
}

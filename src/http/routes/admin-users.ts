// Company administration for Masters and the Root Master: users, invitations, roles,
// 2FA resets and their approvals. The company is always the session's: ids in the path
// are looked up within it, and a companyId in headers, query or body is never read.
// The invitations take an Idempotency-Key, kept per signed-in user: a page whose answer
// was lost sends the same invitation again with its key and is answered the first result,
// not "that username is already used" for the user it made (docs/API.md).
import type { FastifyContextConfig, FastifyInstance, FastifyRequest } from 'fastify';
import { idempotencyHeaders } from '../../contract/api-v1.ts';
import { done, idParams } from '../../contract/common.ts';
import { username } from '../../contract/fields.ts';
import { tidyName } from '../../contract/name-rules.ts';
import {
  bulkInviteBody,
  bulkInviteReport,
  companyUsers,
  inviteBody,
  inviteResent,
  oneCompanyUser,
  pendingApprovals,
  roleBody,
  twoFactorResetOutcome,
  userSessionParams,
  userSessions,
} from '../../contract/company.ts';
import {
  bulkInvite,
  changeRole,
  deactivateUser,
  decideApproval,
  deleteUser,
  describeCompanyUser,
  endAllUserSessions,
  endUserSession,
  inviteUser,
  listCompanyUsers,
  listPendingApprovals,
  listUserSessions,
  MAX_BULK_BYTES,
  reactivateUser,
  readInviteCsv,
  resendInvite,
  resetTwoFactor,
  transferRootMaster,
  unlockUser,
  type UserActor,
  type BulkRow,
} from '../../users/index.ts';
import { forAudience, signedInOf } from '../audiences.ts';
import type { HttpContext } from '../context.ts';
import { requestMeta } from '../guards.ts';
import { idempotentCreates } from '../idempotent-creates.ts';
import { iso } from '../presenters.ts';
import { companyUserView, sessionView } from '../../presenters/index.ts';

// JSON escaping can make the body larger than the file itself; the file limit is checked on the text.
export const BULK_BODY_LIMIT = 4 * MAX_BULK_BYTES;


/** One CSV row checked with the same rules as a single invitation. */
export function validateRow(row: ReturnType<typeof readInviteCsv>[number]): BulkRow {
  const base = { row: row.row, email: row.values.email.trim(), username: row.values.username.trim() };
  if (row.problem) {
    const named = username.safeParse(row.values.username);
    return { ...base, ...(named.success ? { savedUsername: named.data } : {}), reason: row.problem };
  }
  // The username's rules run once, in the invitation's schema: valid, it is saved as tidied.
  const parsed = inviteBody.safeParse({ ...row.values, role: row.values.role.trim().toLowerCase() });
  if (parsed.success) return { ...base, savedUsername: parsed.data.username, input: parsed.data };
  const usernameValid = !parsed.error.issues.some((issue) => issue.path[0] === 'username');
  return { ...base, ...(usernameValid ? { savedUsername: tidyName(row.values.username) } : {}), reason: parsed.error.issues.map((issue) => issue.message).join(' ') };
}

/**
 * A bulk invitation's rows, read and checked once per request: the step-up check (is any a
 * Master?) and the handler use the same rows, so they cannot disagree.
 */
const readRows = new WeakMap<FastifyRequest, BulkRow[]>();
function rowsOf(request: FastifyRequest): BulkRow[] {
  let rows = readRows.get(request);
  if (!rows) {
    rows = readInviteCsv((request.body as { csv: string }).csv).map(validateRow);
    readRows.set(request, rows);
  }
  return rows;
}

/** The acting Master, from the session: ids in the path are looked up within their company. */
function actorOf(request: FastifyRequest): UserActor {
  const me = signedInOf(request);
  return { kind: 'user', companyId: me.companyId, userId: me.userId, username: me.username, role: me.role };
}

export function adminUserRoutes(app: FastifyInstance, ctx: HttpContext) {
  const { deps } = ctx;
  const idempotent = idempotentCreates(deps, (request) => ({ userId: signedInOf(request).userId }));
  forAudience(app, ctx, 'master', 'Company administration', (api) => {
    api.get('/api/company/users', { schema: { summary: "The company's users", response: { 200: companyUsers } } }, async (request) => {
      const now = deps.clock();
      return { users: (await listCompanyUsers(deps.db, actorOf(request), now)).map((u) => companyUserView(u, now)) };
    });

    api.get(
      '/api/company/users/:id',
      { schema: { summary: 'One user of the company', params: idParams, response: { 200: oneCompanyUser } } },
      async (request) => {
        const now = deps.clock();
        return { user: companyUserView(await describeCompanyUser(deps.db, actorOf(request), request.params.id, now), now) };
      },
    );

    api.post(
      '/api/company/users',
      {
        // Inviting a Master plants an administrator (step-up, audiences.ts); a User gains no more than the modules.
        config: { sensitive: (request) => (request.body as { role: string }).role === 'master' },
        schema: { summary: 'Invite a user (mails a Sign Up link); takes an Idempotency-Key', headers: idempotencyHeaders, body: inviteBody, response: { 201: oneCompanyUser } },
      },
      async (request, reply) => {
        await idempotent(request, reply, async () => {
          const actor = actorOf(request);
          const { user } = await inviteUser(deps, actor, request.body, requestMeta(request));
          const now = deps.clock();
          return { status: 201, body: { user: companyUserView(await describeCompanyUser(deps.db, actor, user.id, now), now) } };
        });
      },
    );

    api.post(
      '/api/company/users/bulk-invite',
      {
        bodyLimit: BULK_BODY_LIMIT,
        // As one invitation: sensitive when any row that would be invited asks for a Master.
        config: { sensitive: (request) => rowsOf(request).some((row) => 'input' in row && row.input.role === 'master') },
        schema: {
          summary: 'Invite users from a CSV file (email,username,role[,displayName]); a report per row; takes an Idempotency-Key',
          headers: idempotencyHeaders,
          body: bulkInviteBody,
          response: { 200: bulkInviteReport },
        },
      },
      async (request, reply) => {
        await idempotent(request, reply, async () => {
          const report = await bulkInvite(deps, actorOf(request), rowsOf(request), requestMeta(request));
          const invited = report.filter((r) => r.status === 'invited').length;
          return { status: 200, body: { invited, refused: report.length - invited, rows: report } };
        });
      },
    );

    api.post(
      '/api/company/users/:id/resend-invite',
      { schema: { summary: 'Send a new Sign Up link (the old one stops working)', params: idParams, response: { 200: inviteResent } } },
      async (request) => {
        const sent = await resendInvite(deps, actorOf(request), request.params.id, requestMeta(request));
        return { inviteExpiresAt: iso(sent.expiresAt) };
      },
    );

    // [capability, summary, sensitive]: reactivating gives an account back, moving the Root
    // Master hands over the company; the others take access away (or only clear a lockout).
    const simpleActions = {
      deactivate: [deactivateUser, 'Deactivate a user (their sessions and module sign-ins end)', false],
      reactivate: [reactivateUser, 'Reactivate a user', true],
      delete: [deleteUser, 'Delete a user (the audit trail keeps their name)', false],
      unlock: [unlockUser, 'Unlock a user locked out by failed passwords', false],
      'transfer-root-master': [transferRootMaster, 'Make this user the Root Master (the Root Master only)', true],
      'sessions/end-all': [endAllUserSessions, "End every session and module sign-in of a user (they sign in again, with 2FA)", false],
    } as const;
    for (const [name, [act, summary, sensitive]] of Object.entries(simpleActions)) {
      const config: FastifyContextConfig = sensitive ? { sensitive: true } : {};
      api.post(`/api/company/users/:id/${name}`, { config, schema: { summary, params: idParams, response: { 200: done } } }, async (request) => {
        await act(deps, actorOf(request), request.params.id, requestMeta(request));
        return {};
      });
    }

    api.get(
      '/api/company/users/:id/sessions',
      { schema: { summary: "A user's live sessions", params: idParams, response: { 200: userSessions } } },
      async (request) => ({ sessions: (await listUserSessions(deps, actorOf(request), request.params.id)).map(sessionView) }),
    );

    api.post(
      '/api/company/users/:id/sessions/:handle/end',
      { schema: { summary: "End one of a user's sessions (and the module sign-ins it led to)", params: userSessionParams, response: { 200: done } } },
      async (request) => {
        await endUserSession(deps, actorOf(request), request.params.id, request.params.handle, requestMeta(request));
        return {};
      },
    );

    api.post(
      '/api/company/users/:id/role',
      { config: { sensitive: true }, schema: { summary: "Change a user's role", params: idParams, body: roleBody, response: { 200: done } } },
      async (request) => {
        await changeRole(deps, actorOf(request), request.params.id, request.body.role, requestMeta(request));
        return {};
      },
    );

    api.post(
      '/api/company/users/:id/reset-2fa',
      {
        config: { sensitive: true },
        schema: {
          summary: "Reset a user's 2FA; 202 when the company wants a second Master to approve",
          params: idParams,
          response: { 200: twoFactorResetOutcome, 202: twoFactorResetOutcome },
        },
      },
      async (request, reply) => {
        const outcome = await resetTwoFactor(deps, actorOf(request), request.params.id, requestMeta(request));
        return reply.status(outcome.status === 'pending' ? 202 : 200).send(outcome);
      },
    );

    api.get('/api/company/approvals', { schema: { summary: '2FA resets waiting for a second Master', response: { 200: pendingApprovals } } }, async (request) => {
      const pending = await listPendingApprovals(deps.db, actorOf(request), deps.clock());
      return { approvals: pending.map((a) => ({ ...a, createdAt: iso(a.createdAt) })) };
    });

    for (const [name, decision] of [['approve', 'approved'], ['reject', 'rejected']] as const) {
      api.post(
        `/api/company/approvals/:id/${name}`,
        // Approving lets another user's 2FA be reset; rejecting changes nothing.
        { config: (name === 'approve' ? { sensitive: true } : {}) satisfies FastifyContextConfig, schema: { summary: `${name === 'approve' ? 'Approve' : 'Reject'} a waiting 2FA reset`, params: idParams, response: { 200: done } } },
        async (request) => {
          await decideApproval(deps, actorOf(request), request.params.id, decision, requestMeta(request));
          return {};
        },
      );
    }
  });
}

// Company administration for Masters and the Root Master: users, invitations, roles,
// 2FA resets and their approvals. The company is always the session's: ids in the path
// are looked up within it, and a companyId in headers, query or body is never read.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { GatehouseError } from '../../errors.ts';
import {
  bulkInvite,
  changeRole,
  deactivateUser,
  decideApproval,
  deleteUser,
  describeCompanyUser,
  inviteUser,
  listCompanyUsers,
  listPendingApprovals,
  MAX_BULK_BYTES,
  reactivateUser,
  readInviteCsv,
  resendInvite,
  resetTwoFactor,
  transferRootMaster,
  unlockUser,
  type Actor,
  type BulkRow,
  type UserSummary,
} from '../../users/index.ts';
import type { HttpContext } from '../context.ts';
import { requestMeta, requireSignedIn } from '../guards.ts';
import { email, name, parseInput, username } from '../validate.ts';

const invitableRole = z.enum(['master', 'user'], { error: 'Role must be master or user.' });
const inviteSchema = z.object({
  email,
  username,
  role: invitableRole,
  displayName: name('Display name', 100, 0).optional(),
});
const roleSchema = z.object({ role: invitableRole });
// JSON escaping can make the body larger than the file itself; the file limit is checked on the text.
const BULK_BODY_LIMIT = 4 * MAX_BULK_BYTES;
const bulkSchema = z.object({ csv: z.string({ error: 'Attach a CSV file.' }).min(1, 'Attach a CSV file.') });
const idParam = z.object({ id: z.uuid() });

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function userView(user: UserSummary, now: number) {
  return {
    id: user.id,
    username: user.username,
    displayName: user.displayName,
    email: user.email,
    role: user.role,
    status: user.status,
    locked: user.locked,
    lockedUntil: iso(user.lockedUntil),
    createdAt: iso(user.createdAt),
    ageHours: Math.floor((now - user.createdAt) / 3_600_000),
    invitedBy: user.invitedBy,
    invite: user.invite
      ? { sentAt: iso(user.invite.sentAt), expiresAt: iso(user.invite.expiresAt), expired: user.invite.expiresAt <= now }
      : null,
    lastLoginAt: iso(user.lastLoginAt),
  };
}

/** A malformed id is treated like an unknown one: the same 404, nothing to tell apart. */
function targetId(request: FastifyRequest): string {
  const parsed = idParam.safeParse(request.params);
  if (!parsed.success) throw new GatehouseError('request.not_found');
  return parsed.data.id;
}

/** One CSV row checked with the same rules as a single invitation. */
function validateRow(row: ReturnType<typeof readInviteCsv>[number]): BulkRow {
  const base = { row: row.row, email: row.values.email.trim(), username: row.values.username.trim() };
  if (row.problem) return { ...base, reason: row.problem };
  const parsed = inviteSchema.safeParse({ ...row.values, role: row.values.role.trim().toLowerCase() });
  if (parsed.success) return { ...base, input: parsed.data };
  return { ...base, reason: parsed.error.issues.map((issue) => issue.message).join(' ') };
}

export function adminUserRoutes(app: FastifyInstance, { deps, cookies }: HttpContext) {
  async function administrator(request: FastifyRequest, reply: FastifyReply): Promise<Actor> {
    const me = await requireSignedIn(deps, cookies, request, reply);
    if (me.role === 'user') throw new GatehouseError('auth.forbidden');
    return { companyId: me.companyId, userId: me.userId, username: me.username, role: me.role };
  }

  app.get('/api/company/users', async (request, reply) => {
    const actor = await administrator(request, reply);
    const now = deps.clock();
    return { users: (await listCompanyUsers(deps.db, actor, now)).map((u) => userView(u, now)) };
  });

  app.get('/api/company/users/:id', async (request, reply) => {
    const actor = await administrator(request, reply);
    const now = deps.clock();
    return { user: userView(await describeCompanyUser(deps.db, actor, targetId(request), now), now) };
  });

  app.post('/api/company/users', async (request, reply) => {
    const actor = await administrator(request, reply);
    const input = parseInput(inviteSchema, request.body);
    const { user } = await inviteUser(deps, actor, input, requestMeta(request));
    const now = deps.clock();
    return reply.status(201).send({ user: userView(await describeCompanyUser(deps.db, actor, user.id, now), now) });
  });

  app.post('/api/company/users/bulk-invite', { bodyLimit: BULK_BODY_LIMIT }, async (request, reply) => {
    const actor = await administrator(request, reply);
    const { csv } = parseInput(bulkSchema, request.body);
    const rows = readInviteCsv(csv).map(validateRow);
    const report = await bulkInvite(deps, actor, rows, requestMeta(request));
    const invited = report.filter((r) => r.status === 'invited').length;
    return { invited, refused: report.length - invited, rows: report };
  });

  app.post('/api/company/users/:id/resend-invite', async (request, reply) => {
    const actor = await administrator(request, reply);
    const sent = await resendInvite(deps, actor, targetId(request), requestMeta(request));
    return { inviteExpiresAt: iso(sent.expiresAt) };
  });

  const simpleActions = {
    deactivate: deactivateUser,
    reactivate: reactivateUser,
    delete: deleteUser,
    unlock: unlockUser,
    'transfer-root-master': transferRootMaster,
  } as const;
  for (const [name, act] of Object.entries(simpleActions)) {
    app.post(`/api/company/users/:id/${name}`, async (request, reply) => {
      const actor = await administrator(request, reply);
      await act(deps, actor, targetId(request), requestMeta(request));
      return {};
    });
  }

  app.post('/api/company/users/:id/role', async (request, reply) => {
    const actor = await administrator(request, reply);
    const id = targetId(request);
    const { role } = parseInput(roleSchema, request.body);
    await changeRole(deps, actor, id, role, requestMeta(request));
    return {};
  });

  app.post('/api/company/users/:id/reset-2fa', async (request, reply) => {
    const actor = await administrator(request, reply);
    const outcome = await resetTwoFactor(deps, actor, targetId(request), requestMeta(request));
    return reply.status(outcome.status === 'pending' ? 202 : 200).send(outcome);
  });

  app.get('/api/company/approvals', async (request, reply) => {
    const actor = await administrator(request, reply);
    const pending = await listPendingApprovals(deps.db, actor);
    return { approvals: pending.map((a) => ({ ...a, createdAt: iso(a.createdAt) })) };
  });

  for (const [name, decision] of [['approve', 'approved'], ['reject', 'rejected']] as const) {
    app.post(`/api/company/approvals/:id/${name}`, async (request, reply) => {
      const actor = await administrator(request, reply);
      await decideApproval(deps, actor, targetId(request), decision, requestMeta(request));
      return {};
    });
  }
}

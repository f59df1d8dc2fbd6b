// /api/v1 routes on one company's data: its users (invite, bulk invite, deactivate), its
// security policy, its audit trail and its MFA compliance. The guard has settled the
// path's company (reachCompany: another company's id is "not found"); each route calls the same
// capability as the console, with the API client as the actor (a Master's rights, never
// the Root Master's; the trail names the client).
import type { FastifyRequest } from 'fastify';
import { auditCsv } from '../../audit/index.ts';
import type { ApiActor } from '../../api-clients/index.ts';
import { getCompanyPolicy, updateCompanyPolicy } from '../../companies/index.ts';
import { apiOneUser, apiUserPage, companyParams, companyUserParams, idempotencyHeaders, userListQuery } from '../../contract/api-v1.ts';
import { done, ifMatchHeaders } from '../../contract/common.ts';
import {
  auditPage,
  bulkInviteBody,
  bulkInviteReport,
  companyAuditCsvQuery,
  companyAuditQuery,
  companyComplianceView,
  csvDownload,
  inviteBody,
  policyBody,
  policyView,
} from '../../contract/company.ts';
import {
  bulkInvite,
  deactivateUser,
  describeCompanyUser,
  inviteUser,
  listUsersOfCompany,
  readInviteCsv,
  type ClientActor,
  type UserSummary,
} from '../../users/index.ts';
import { apiActorOf, reachedCompanyOf } from '../api-client-guard.ts';
import { PAGE_CURSOR_KEY, pageOf, userCursor } from '../api-cursors.ts';
import { auditPageOf, auditQuery, complianceView, sendCsv, userLines } from '../audit-views.ts';
import { requestMeta } from '../guards.ts';
import { companyUserView } from '../../presenters/index.ts';
import { BULK_BODY_LIMIT, validateRow } from './admin-users.ts';
import { policyAnswer } from './company-policy.ts';
import { ifMatchVersions } from '../conditional-saves.ts';
import type { V1 } from './api-v1.ts';

/** The console's user view (src/presenters): one shape for a user wherever it is shown. */
export const userView = (user: UserSummary, now: number) => companyUserView(user, now);

/** The API client acting in a company it may reach, as the users capability's actor. */
function clientActor(actor: ApiActor, companyId: string): ClientActor {
  return { kind: 'api_client', companyId, apiClientId: actor.apiClientId, name: actor.name, role: 'master', credentialTag: actor.credentialTag };
}

/** The request's API client as a Master of the path's company (which the guard settled it may reach, else 404). */
export function reachAsActor(request: FastifyRequest): ClientActor {
  return clientActor(apiActorOf(request), reachedCompanyOf(request));
}

export function tenantRoutes({ api, deps, idempotent, downloads }: V1) {
  const reach = reachAsActor;
  // A CSV download holds one of its API client's few slots until its response closes
  // (csv-download-slots.ts), taken once the company is settled and before the first query.

  api.get(
    '/companies/:companyId/users',
    {
      config: { scope: 'users:read' },
      schema: {
        summary: "A company's users by username (pass nextCursor as cursor for the next page)",
        params: companyParams,
        querystring: userListQuery,
        response: { 200: apiUserPage },
      },
    },
    async (request) => {
      const { companyId } = reach(request);
      const { limit, cursor } = request.query;
      const place = { key: deps.deriveKey(PAGE_CURSOR_KEY), binding: { list: 'users', companyId } };
      const afterUsername = cursor === undefined ? undefined : userCursor.read(place, cursor);
      const rows = await listUsersOfCompany(deps.db, companyId, deps.clock(), { afterUsername, limit: limit + 1 });
      const page = pageOf(rows, limit, (last) => userCursor.of(place, last.username));
      return { users: page.items.map((u) => userView(u, deps.clock())), nextCursor: page.nextCursor };
    },
  );

  api.post(
    '/companies/:companyId/users',
    {
      config: { scope: 'users:write', refusals: ['user.username_taken', 'invite.suspended_company', 'invite.rate_limited', 'user.too_many'] },
      schema: {
        summary: 'Invite a user (mails a Sign Up link); takes an Idempotency-Key',
        params: companyParams,
        headers: idempotencyHeaders,
        body: inviteBody,
        response: { 201: apiOneUser },
      },
    },
    async (request, reply) => {
      const actor = reach(request);
      return idempotent(request, reply, async () => {
        const { user } = await inviteUser(deps, actor, request.body, requestMeta(request));
        return { status: 201, body: { user: userView(await describeCompanyUser(deps.db, actor, user.id, deps.clock()), deps.clock()) } };
      });
    },
  );

  api.post(
    '/companies/:companyId/users/bulk-invite',
    {
      config: { scope: 'users:write' },
      bodyLimit: BULK_BODY_LIMIT,
      schema: {
        summary: 'Invite users from CSV text (email,username,role[,displayName]); a report per row; takes an Idempotency-Key',
        params: companyParams,
        headers: idempotencyHeaders,
        body: bulkInviteBody,
        response: { 200: bulkInviteReport },
      },
    },
    async (request, reply) => {
      const actor = reach(request);
      // A retry of a bulk invite whose answer was lost answers its first report, not "taken" for every row it invited.
      return idempotent(request, reply, async () => {
        const rows = readInviteCsv(request.body.csv).map(validateRow);
        const report = await bulkInvite(deps, actor, rows, requestMeta(request));
        const invited = report.filter((r) => r.status === 'invited').length;
        return { status: 200, body: { invited, refused: report.length - invited, rows: report } };
      });
    },
  );

  api.post(
    '/companies/:companyId/users/:userId/deactivate',
    {
      config: { scope: 'users:write', refusals: ['user.root_master_protected', 'user.last_break_glass'] },
      schema: { summary: 'Deactivate a user (their sessions and module sign-ins end)', params: companyUserParams, response: { 200: done } },
    },
    async (request) => {
      await deactivateUser(deps, reach(request), request.params.userId, requestMeta(request));
      return {};
    },
  );

  api.get(
    '/companies/:companyId/policy',
    { config: { scope: 'policy:read' }, schema: { summary: "The company's security policy (its version in the ETag)", params: companyParams, response: { 200: policyView } } },
    async (request, reply) => policyAnswer(request, reply, await getCompanyPolicy(deps.db, reach(request).companyId)),
  );

  api.post(
    '/companies/:companyId/policy',
    {
      config: { scope: 'policy:write', refusals: ['policy.two_person_root_only'] },
      schema: {
        summary:
          "Change the company's security policy (only the fields sent; an IP allowlist must include the caller's address; with If-Match, only if the policy is still that version: else 412)",
        params: companyParams,
        headers: ifMatchHeaders,
        body: policyBody,
        response: { 200: policyView },
      },
    },
    async (request, reply) => {
      const { companyId, apiClientId } = reach(request);
      return policyAnswer(request, reply, await updateCompanyPolicy(deps, { companyId, apiClientId }, request.body, requestMeta(request), ifMatchVersions(request)));
    },
  );

  api.get(
    '/companies/:companyId/audit',
    {
      config: { scope: 'audit:read' },
      schema: {
        summary: "The company's audit trail, newest first (pass nextCursor as cursor for the next page)",
        params: companyParams,
        querystring: companyAuditQuery,
        response: { 200: auditPage },
      },
    },
    async (request) => auditPageOf(deps, request.query, reach(request).companyId),
  );

  api.get(
    '/companies/:companyId/audit.csv',
    {
      config: { scope: 'audit:read', refusals: ['download.too_many_running', 'download.server_busy'] },
      schema: { summary: "The company's audit trail as CSV", params: companyParams, querystring: companyAuditCsvQuery, response: { 200: csvDownload } },
    },
    async (request, reply) => {
      const { companyId, apiClientId } = reach(request);
      downloads.hold(reply, { apiClientId, companyId: apiActorOf(request).companyId });
      return sendCsv(reply, 'audit', deps.clock(), await auditCsv(deps.db, auditQuery(request.query, companyId)));
    },
  );

  api.get(
    '/companies/:companyId/compliance',
    { config: { scope: 'audit:read' }, schema: { summary: 'Who has set up 2FA in the company', params: companyParams, response: { 200: companyComplianceView } } },
    async (request) => complianceView(deps, reach(request).companyId),
  );

  api.get(
    '/companies/:companyId/compliance.csv',
    { config: { scope: 'audit:read', refusals: ['download.too_many_running', 'download.server_busy'] }, schema: { summary: 'MFA compliance as CSV', params: companyParams, response: { 200: csvDownload } } },
    async (request, reply) => {
      const { companyId, apiClientId } = reach(request);
      downloads.hold(reply, { apiClientId, companyId: apiActorOf(request).companyId });
      const view = await complianceView(deps, companyId);
      return sendCsv(reply, 'compliance', deps.clock(), userLines(view.company.name, view));
    },
  );
}

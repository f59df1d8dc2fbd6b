// The audit trail and the MFA compliance view: Masters read their own company's (the
// company comes from the session, whatever the request says), operators read every
// company's. Read-only by design: the trail is append-only, so there is no route that
// changes or deletes an event.
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { auditCsv, csvFilename, csvRow, queryAudit, type AuditQuery } from '../../audit/index.ts';
import { companyCompliance, complianceSummary, getCompany } from '../../companies/index.ts';
import {
  auditPage,
  companyAuditCsvQuery,
  companyAuditQuery,
  companyComplianceView,
  complianceOverview,
  complianceQuery,
  csvDownload,
  operatorAuditCsvQuery,
  operatorAuditQuery,
} from '../../contract/company.ts';
import { assertThat } from '../../errors.ts';
import { forAudience, signedInOf } from '../audiences.ts';
import type { HttpContext } from '../context.ts';

const DAY_MS = 86_400_000;

type Filters = { action?: string; actorId?: string; target?: string; from?: string; to?: string };
/** A date means the whole day (UTC); a date-time is that moment. */
const startOf = (value: string) => Date.parse(value.length === 10 ? `${value}T00:00:00Z` : value);
function auditQuery(input: Filters, companyId: string | undefined): Omit<AuditQuery, 'limit'> {
  return {
    companyId,
    action: input.action,
    actorId: input.actorId,
    target: input.target,
    from: input.from === undefined ? undefined : startOf(input.from),
    until: input.to === undefined ? undefined : startOf(input.to) + (input.to.length === 10 ? DAY_MS : 1),
  };
}

function sendCsv(reply: FastifyReply, kind: string, now: number, lines: AsyncIterable<string> | Iterable<string>) {
  return reply
    .header('content-type', 'text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="${csvFilename(kind, now)}"`)
    .header('cache-control', 'no-store')
    .send(Readable.from(lines));
}

const USER_COLUMNS = ['company', 'username', 'role', 'status', 'enrolled', 'enrolled_at', 'pending', 'invite_age_days', 'last_login_at'];
const SUMMARY_COLUMNS = ['company_id', 'company', 'status', 'users', 'enrolled', 'pending', 'disabled', 'percent_enrolled'];
type Compliance = Awaited<ReturnType<typeof companyCompliance>>;
const userLines = (companyName: string, { users }: Compliance) => [
  csvRow(USER_COLUMNS),
  ...users.map((u) => csvRow([companyName, u.username, u.role, u.status, u.enrolled, u.enrolledAt, u.pending, u.inviteAgeDays, u.lastLoginAt])),
];

export function auditRoutes(app: FastifyInstance, ctx: HttpContext) {
  const { deps } = ctx;
  async function page(input: Filters & { limit: number; cursor?: string | undefined }, companyId: string | undefined) {
    const beforeId = input.cursor === undefined ? undefined : Number(input.cursor);
    const rows = await queryAudit(deps.db, { ...auditQuery(input, companyId), beforeId, limit: input.limit + 1 });
    const events = rows.slice(0, input.limit);
    return { events, nextCursor: rows.length > input.limit ? String(events.at(-1)?.id) : null };
  }
  async function complianceOf(companyId: string) {
    const company = await getCompany(deps.db, companyId);
    assertThat(company, 'request.not_found');
    return { company: { id: company.id, name: company.name }, ...(await companyCompliance(deps.db, company.id, deps.clock())) };
  }

  forAudience(app, ctx, 'master', 'Audit and compliance', (api) => {
    api.get(
      '/api/company/audit',
      { schema: { summary: "The company's audit trail, newest first", querystring: companyAuditQuery, response: { 200: auditPage } } },
      async (request) => page(request.query, signedInOf(request).companyId),
    );

    api.get(
      '/api/company/audit.csv',
      { schema: { summary: "The company's audit trail as CSV", querystring: companyAuditCsvQuery, response: { 200: csvDownload } } },
      async (request, reply) =>
        sendCsv(reply, 'audit', deps.clock(), await auditCsv(deps.db, auditQuery(request.query, signedInOf(request).companyId))),
    );

    api.get(
      '/api/company/compliance',
      { schema: { summary: 'Who has set up 2FA in the company', response: { 200: companyComplianceView } } },
      async (request) => complianceOf(signedInOf(request).companyId),
    );

    api.get(
      '/api/company/compliance.csv',
      { schema: { summary: 'MFA compliance as CSV', response: { 200: csvDownload } } },
      async (request, reply) => {
        const view = await complianceOf(signedInOf(request).companyId);
        return sendCsv(reply, 'compliance', deps.clock(), userLines(view.company.name, view));
      },
    );
  });

  forAudience(app, ctx, 'operator', 'Audit and compliance', (api) => {
    api.get(
      '/api/operator/audit',
      { schema: { summary: "Every company's audit trail (or one company's), newest first", querystring: operatorAuditQuery, response: { 200: auditPage } } },
      async (request) => page(request.query, request.query.companyId),
    );

    api.get(
      '/api/operator/audit.csv',
      { schema: { summary: 'The audit trail as CSV', querystring: operatorAuditCsvQuery, response: { 200: csvDownload } } },
      async (request, reply) => sendCsv(reply, 'audit', deps.clock(), await auditCsv(deps.db, auditQuery(request.query, request.query.companyId))),
    );

    api.get(
      '/api/operator/compliance',
      {
        schema: {
          summary: "Every company's MFA totals, or one company's users with companyId",
          querystring: complianceQuery,
          response: { 200: z.union([complianceOverview, companyComplianceView]) },
        },
      },
      async (request) => {
        const { companyId } = request.query;
        return companyId === undefined ? { companies: await complianceSummary(deps.db) } : complianceOf(companyId);
      },
    );

    api.get(
      '/api/operator/compliance.csv',
      { schema: { summary: 'MFA compliance as CSV (every company, or one with companyId)', querystring: complianceQuery, response: { 200: csvDownload } } },
      async (request, reply) => {
        const { companyId } = request.query;
        if (companyId !== undefined) {
          const view = await complianceOf(companyId);
          return sendCsv(reply, 'compliance', deps.clock(), userLines(view.company.name, view));
        }
        const summary = await complianceSummary(deps.db);
        const lines = summary.map((c) => {
          const t = c.totals;
          return csvRow([c.companyId, c.companyName, c.status, t.users, t.enrolled, t.pending, t.disabled, t.percentEnrolled]);
        });
        return sendCsv(reply, 'compliance', deps.clock(), [csvRow(SUMMARY_COLUMNS), ...lines]);
      },
    );
  });
}

// The audit trail and the MFA compliance view: Masters read their own company's (the
// company comes from the session, whatever the request says), operators read every
// company's. Read-only by design: the trail is append-only, so there is no route that
// changes or deletes an event.
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { auditCsv, csvFilename, csvRow, MAX_AUDIT_PAGE, queryAudit, type AuditQuery } from '../../audit/index.ts';
import { companyCompliance, complianceSummary, getCompany } from '../../companies/index.ts';
import { assertThat, GatehouseError } from '../../errors.ts';
import type { HttpContext } from '../context.ts';
import { requireOperator, requireSignedIn } from '../guards.ts';
import { parseInput } from '../validate.ts';

const DAY_MS = 86_400_000;
/** An empty query parameter means "no filter". */
const optional = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === '' ? undefined : v), schema.optional());
/** A date (the whole day, UTC) or a date-time with its offset. */
const when = (label: string) =>
  optional(
    z.union([z.iso.date(), z.iso.datetime({ offset: true })], { error: `${label} must be an ISO date such as 2025-01-31.` }),
  ).transform((v) => (v === undefined ? undefined : { ms: Date.parse(v.length === 10 ? `${v}T00:00:00Z` : v), wholeDay: v.length === 10 }));

const filters = {
  action: optional(z.string().regex(/^[a-z0-9_.-]{1,64}$/i, 'Not an action name (e.g. login.failed or login.).')),
  actorId: optional(z.string().max(64, 'Not an id.')),
  target: optional(z.string().max(200, 'Target can have at most 200 characters.')),
  from: when('From'),
  to: when('To'),
};
const companyAuditSchema = z.object({
  ...filters,
  limit: optional(z.coerce.number().int().min(1).max(MAX_AUDIT_PAGE, `At most ${MAX_AUDIT_PAGE} per page.`)).default(100),
  cursor: optional(z.string().regex(/^[1-9][0-9]{0,15}$/, 'Not a cursor from a previous page.')),
});
const companyCsvSchema = z.object(filters);
const byCompany = { companyId: optional(z.uuid({ error: 'Not a company id.' })) };
const operatorAuditSchema = companyAuditSchema.extend(byCompany);
const operatorCsvSchema = companyCsvSchema.extend(byCompany);
const operatorComplianceSchema = z.object(byCompany);

type Filters = z.output<typeof operatorCsvSchema>;
function auditQuery(input: Filters, companyId: string | undefined): Omit<AuditQuery, 'limit'> {
  return {
    companyId,
    action: input.action,
    actorId: input.actorId,
    target: input.target,
    from: input.from?.ms,
    until: input.to === undefined ? undefined : input.to.ms + (input.to.wholeDay ? DAY_MS : 1),
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

export function auditRoutes(app: FastifyInstance, { deps, cookies }: HttpContext) {
  async function master(request: FastifyRequest, reply: FastifyReply) {
    const me = await requireSignedIn(deps, cookies, request, reply);
    if (me.role === 'user') throw new GatehouseError('auth.forbidden');
    return me;
  }
  async function page(input: z.output<typeof operatorAuditSchema>, companyId: string | undefined) {
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

  app.get('/api/company/audit', async (request, reply) => {
    const me = await master(request, reply);
    return page(parseInput(companyAuditSchema, request.query), me.companyId);
  });

  app.get('/api/company/audit.csv', async (request, reply) => {
    const me = await master(request, reply);
    const input = parseInput(companyCsvSchema, request.query);
    return sendCsv(reply, 'audit', deps.clock(), await auditCsv(deps.db, auditQuery(input, me.companyId)));
  });

  app.get('/api/operator/audit', async (request, reply) => {
    await requireOperator(deps, cookies, request, reply);
    const input = parseInput(operatorAuditSchema, request.query);
    return page(input, input.companyId);
  });

  app.get('/api/operator/audit.csv', async (request, reply) => {
    await requireOperator(deps, cookies, request, reply);
    const input = parseInput(operatorCsvSchema, request.query);
    return sendCsv(reply, 'audit', deps.clock(), await auditCsv(deps.db, auditQuery(input, input.companyId)));
  });

  app.get('/api/company/compliance', async (request, reply) => {
    const me = await master(request, reply);
    return complianceOf(me.companyId);
  });

  app.get('/api/company/compliance.csv', async (request, reply) => {
    const me = await master(request, reply);
    const view = await complianceOf(me.companyId);
    return sendCsv(reply, 'compliance', deps.clock(), userLines(view.company.name, view));
  });

  app.get('/api/operator/compliance', async (request, reply) => {
    await requireOperator(deps, cookies, request, reply);
    const { companyId } = parseInput(operatorComplianceSchema, request.query);
    return companyId === undefined ? { companies: await complianceSummary(deps.db) } : complianceOf(companyId);
  });

  app.get('/api/operator/compliance.csv', async (request, reply) => {
    await requireOperator(deps, cookies, request, reply);
    const { companyId } = parseInput(operatorComplianceSchema, request.query);
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
  });
}

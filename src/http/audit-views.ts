// The audit trail and compliance views shared by the consoles' routes (routes/audit.ts)
// and the API's (routes/api-v1.ts): one filter reading, one cursor pagination, one CSV
// shape, so a page or a file means the same thing whoever asks.
import { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import { csvFilename, csvRow, positionOf, queryAudit, type AuditQuery } from '../audit/index.ts';
import { auditCursor, PAGE_CURSOR_KEY, pageOf } from './api-cursors.ts';
import { companyCompliance, getCompany } from '../companies/index.ts';
import { assertThat, GatehouseError } from '../errors.ts';
import type { CoreDeps } from '../shared/deps.ts';

const DAY_MS = 86_400_000;

type Filters = { action?: string; actorId?: string; target?: string; from?: string; to?: string };
/** A date means the whole day (UTC); a date-time is that moment. */
const startOf = (value: string) => Date.parse(value.length === 10 ? `${value}T00:00:00Z` : value);
export function auditQuery(input: Filters, companyId: string | undefined): Omit<AuditQuery, 'limit'> {
  return {
    companyId,
    action: input.action,
    actorId: input.actorId,
    target: input.target,
    from: input.from === undefined ? undefined : startOf(input.from),
    until: input.to === undefined ? undefined : startOf(input.to) + (input.to.length === 10 ? DAY_MS : 1),
  };
}

/**
 * A CSV download's answer. A HEAD (which Fastify answers by running the GET's handler) gets
 * the download's headers and no body, and its export stops where it stands: given a
 * stream, Fastify would read it to its end after the answer was sent, the whole trail,
 * a batch at a time, with the download's slot (csv-download-slots.ts) already given back.
 */
export function sendCsv(reply: FastifyReply, kind: string, now: number, lines: AsyncIterable<string> | Iterable<string>) {
  const stands = reply.request.accessStands;
  reply
    .header('content-type', 'text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="${csvFilename(kind, now)}"`)
    .header('cache-control', 'no-store');
  if (reply.request.method === 'HEAD') {
    if (Symbol.asyncIterator in lines) void (lines as AsyncGenerator<string>).return?.(undefined);
    return reply.send();
  }
  return reply.send(Readable.from(Symbol.asyncIterator in lines && stands ? whileAccessStands(lines, stands) : lines));
}

/**
 * A download read while it is sent (the audit trail, a batch at a time, for as long as a
 * slow client takes) is decided once, as the request came in; every later chunk is sent
 * only while its requester still may read it (their session, role or API client checked
 * again, the company still active). Once not, the download stops short: the connection is
 * cut, which a client sees as a failed download, never a complete file. A download read
 * whole before it starts (an iterable, not an async one) is what its requester could see
 * then, and is sent as it is.
 */
async function* whileAccessStands(lines: AsyncIterable<string>, stands: () => Promise<boolean>): AsyncGenerator<string> {
  let first = true;
  for await (const chunk of lines) {
    if (!first && !(await stands())) throw new GatehouseError('session.required');
    first = false;
    yield chunk;
  }
}

export const USER_COLUMNS = ['company', 'username', 'role', 'status', 'enrolled', 'enrolled_at', 'pending', 'invite_age_days', 'last_login_at'];
export const SUMMARY_COLUMNS = ['company_id', 'company', 'status', 'users', 'enrolled', 'pending', 'disabled', 'percent_enrolled'];
type Compliance = Awaited<ReturnType<typeof companyCompliance>>;
export const userLines = (companyName: string, { users }: Compliance) => [
  csvRow(USER_COLUMNS),
  ...users.map((u) => csvRow([companyName, u.username, u.role, u.status, u.enrolled, u.enrolledAt, u.pending, u.inviteAgeDays, u.lastLoginAt])),
];


/** One page, newest first: `nextCursor` names the last event's place when older ones remain. */
export async function auditPageOf(deps: Pick<CoreDeps, 'db' | 'deriveKey'>, input: Filters & { limit: number; cursor?: string | undefined }, companyId: string | undefined) {
  const { db } = deps;
  const query = auditQuery(input, companyId);
  // The trail the filters make, the platform's whole one when no company is named.
  const place = { key: deps.deriveKey(PAGE_CURSOR_KEY), binding: { list: 'audit', ...query, companyId: companyId ?? '*' } };
  const before = input.cursor === undefined ? undefined : auditCursor.read(place, input.cursor);
  const rows = await queryAudit(db, { ...query, before, limit: input.limit + 1 });
  const { items: events, nextCursor } = pageOf(rows, input.limit, (last) => auditCursor.of(place, positionOf(last)));
  return { events, nextCursor };
}

/** A company's MFA compliance, with its name; unknown ids are not found. */
export async function complianceView(deps: CoreDeps, companyId: string) {
  const company = await getCompany(deps.db, companyId);
  assertThat(company, 'request.not_found');
  return { company: { id: company.id, name: company.name }, ...(await companyCompliance(deps.db, company.id, deps.clock())) };
}

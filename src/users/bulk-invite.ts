// Bulk invite from a CSV file. The header row names the columns (email, username, role,
// and optionally display name, in any order); each row is then invited in its own
// transaction, so a row is either fully invited (user, link, mail, audit) or not at all,
// and the answer reports every row.
import { GatehouseError } from '../errors.ts';
import { recordAudit } from '../audit/index.ts';
import type { CoreDeps, RequestMeta } from '../shared/deps.ts';
import { caseKey, nameKey } from '../shared/text.ts';
import { assertAdministrator, auditActor, type Actor } from './admin.ts';
import { isBlankRecord, parseCsv } from './csv.ts';
import { inviteUser, type InviteInput } from './invitations.ts';

export const MAX_BULK_ROWS = 500;
export const MAX_BULK_BYTES = 256 * 1024;

const COLUMNS = { email: 'email', username: 'username', role: 'role', displayname: 'displayName', name: 'displayName' } as const;
type Column = (typeof COLUMNS)[keyof typeof COLUMNS];

/** One data row as written in the file; `row` counts as a spreadsheet does (header = 1). */
export interface CsvInviteRow {
  row: number;
  values: Record<Column, string>;
  problem?: string;
}

const invalidFile = (message: string) => new GatehouseError('request.invalid', { fields: { csv: message } });

export function readInviteCsv(csv: string): CsvInviteRow[] {
  if (Buffer.byteLength(csv, 'utf8') > MAX_BULK_BYTES) throw invalidFile('The file can be at most 256 KiB.');
  const parsed = parseCsv(csv);
  if (!parsed.ok) throw invalidFile(parsed.problem);
  const [header, ...records] = parsed.records;
  if (!header || isBlankRecord(header)) throw invalidFile('The first row must name the columns: email, username, role.');
  const positions = new Map<Column, number>();
  header.forEach((cell, index) => {
    const key = cell.trim().toLowerCase().replace(/[\s_-]+/g, '');
    const column = (COLUMNS as Record<string, Column>)[key];
    if (column === undefined) return;
    if (positions.has(column)) throw invalidFile(`The column "${cell.trim()}" appears twice in the first row.`);
    positions.set(column, index);
  });
  if (!positions.has('email') || !positions.has('username') || !positions.has('role')) {
    throw invalidFile('The first row must name the columns: email, username, role.');
  }
  const rows: CsvInviteRow[] = [];
  records.forEach((record, index) => {
    if (isBlankRecord(record)) return;
    const values = { email: '', username: '', role: '', displayName: '' };
    for (const [column, position] of positions) values[column] = record[position] ?? '';
    const problem =
      record.length === header.length ? undefined : `This row has ${record.length} fields; the first row has ${header.length}.`;
    rows.push({ row: index + 2, values, ...(problem ? { problem } : {}) });
  });
  if (rows.length === 0) throw invalidFile('The file has no rows to invite.');
  if (rows.length > MAX_BULK_ROWS) throw invalidFile(`A file can have at most ${MAX_BULK_ROWS} rows; this one has ${rows.length}.`);
  return rows;
}

/**
 * A row after validation at the edge: an invitation to send, or the reason it cannot be.
 * `savedUsername` is the username as it would be saved, when it is a valid one: what a
 * later row's username is compared with (a name the rule refused is not keyed at all, as
 * keying costs per character and a row's text is bounded only by the file's).
 */
export type BulkRow = { row: number; email: string; username: string; savedUsername?: string } & ({ input: InviteInput } | { reason: string });

export interface BulkReportRow {
  row: number;
  email: string;
  username: string;
  status: 'invited' | 'refused';
  reason?: string;
}

/** What refuses the one who sends the file, whichever row it comes at. */
const ACTOR_REFUSALS: ReadonlySet<string> = new Set(['api.invalid_token', 'session.required', 'auth.forbidden']);

export async function bulkInvite(deps: CoreDeps, actor: Actor, rows: BulkRow[], meta: RequestMeta): Promise<BulkReportRow[]> {
  assertAdministrator(actor);
  const report: BulkReportRow[] = [];
  const firstRowOf = new Map<string, number>();
  for (const entry of rows) {
    const { row, email, username } = entry;
    const refuse = (reason: string) => report.push({ row, email, username, status: 'refused', reason });
    // Both keys, as the store's unique indexes compare (src/shared/text.ts).
    const saved = entry.savedUsername;
    const keys = saved === undefined ? [] : [`k:${nameKey(saved)}`, `c:${caseKey(saved)}`].filter((key) => !key.endsWith(':'));
    const earlier = keys.map((key) => firstRowOf.get(key)).find((found) => found !== undefined);
    if (earlier === undefined) for (const key of keys) firstRowOf.set(key, row);
    if (earlier !== undefined) {
      refuse(`The username ${username} is also on row ${earlier}.`);
      continue;
    }
    if ('reason' in entry) {
      refuse(entry.reason);
      continue;
    }
    try {
      const { user } = await inviteUser(deps, actor, entry.input, meta, { bulk: true, row });
      // As saved (NFKC, the address trimmed): a fullwidth or decomposed spelling in the file is not what its user types.
      report.push({ row, email: user.email, username: user.username, status: 'invited' });
    } catch (error) {
      // A refusal of the actor, not of the row, ends the whole request: an API client
      // deleted or rotated while the file was being invited (src/api-clients, asClient), a
      // Master's session ended or their role taken (checkSignedInTransactions).
      if (!(error instanceof GatehouseError) || ACTOR_REFUSALS.has(error.code)) throw error;
      refuse(error.message);
    }
  }
  const invited = report.filter((r) => r.status === 'invited').length;
  const { actorId, actorClientId, named } = auditActor(actor);
  // In a transaction of its own, as every change an API client makes (its client checked in it).
  await deps.db.transaction().execute((tx) =>
    recordAudit(tx, deps.clock(), {
      companyId: actor.companyId,
      actorId,
      actorClientId,
      action: 'user.bulk_invited',
      ip: meta.ip,
      userAgent: meta.userAgent,
      detail: { ...named, rows: report.length, invited, refused: report.length - invited },
    }),
  );
  return report;
}

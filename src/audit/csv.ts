// CSV for spreadsheets: every cell quoted (RFC 4180), and nothing a spreadsheet would run
// as a formula (OWASP "CSV injection"): a cell starting with = + - @ tab or CR gets a
// leading single quote.
import type { Queryable } from '../storage/index.ts';
import { positionOf, queryAudit, type AuditEntry, type AuditQuery } from './query.ts';

export const MAX_CSV_ROWS = 50_000;
const BATCH = 1000;
const FORMULA_START = /^[=+\-@\t\r]/;

export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return `"${text.replaceAll('"', '""')}"`;
}

export function csvRow(values: readonly unknown[]): string {
  return `${values.map(csvCell).join(',')}\r\n`;
}

/** `gatehouse-audit-2025-01-31.csv` */
export function csvFilename(kind: string, now: number): string {
  return `gatehouse-${kind}-${new Date(now).toISOString().slice(0, 10)}.csv`;
}

const AUDIT_COLUMNS = ['id', 'time', 'company_id', 'company_name', 'actor_id', 'actor_username', 'actor_api_client_id', 'actor_api_client_name', 'action', 'target', 'ip', 'user_agent', 'detail'];

function auditLine(e: AuditEntry): string {
  return csvRow([e.id, e.time, e.companyId, e.companyName, e.actor?.id, e.actor?.username, e.apiClient?.clientId, e.apiClient?.name, e.action, e.target, e.ip, e.userAgent, e.detail]);
}

/**
 * The filtered trail as CSV lines, newest first, read in batches along the (time, id) cursor. The
 * first batch is read before anything is sent, so an outage is still a proper error.
 */
export async function auditCsv(db: Queryable, query: Omit<AuditQuery, 'limit' | 'before'>, maxRows = MAX_CSV_ROWS) {
  const first = await queryAudit(db, { ...query, limit: Math.min(BATCH, maxRows) });
  return (async function* lines() {
    yield csvRow(AUDIT_COLUMNS);
    let batch = first;
    let sent = 0;
    while (batch.length > 0) {
      yield batch.map(auditLine).join('');
      sent += batch.length;
      const last = batch.at(-1);
      if (sent >= maxRows || batch.length < BATCH || !last) return;
      batch = await queryAudit(db, { ...query, before: positionOf(last), limit: Math.min(BATCH, maxRows - sent) });
    }
  })();
}

// The audit door: recording security events (append-only), reading them with filters,
// exporting them as CSV that spreadsheets cannot run, and the retention that ends them.
export { auditInsert, auditRow, recordAudit, recordSessionEnded, type AuditEvent } from './record.ts';
export { listAudit, MAX_AUDIT_PAGE, positionOf, queryAudit, type AuditEntry, type AuditPosition, type AuditQuery } from './query.ts';
export { auditCsv, csvCell, csvFilename, csvRow, MAX_CSV_ROWS } from './csv.ts';
export { auditRetention } from './retention.ts';
export { recordUnderCap } from './capped.ts';

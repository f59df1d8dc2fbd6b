// What a database failure means for the caller. The HTTP layer answers 503 (try again
// shortly) for an outage and for a conflict that outlasted its retries, 400 for a value
// the database cannot hold (the request's, not ours), 500 for the rest;
// the CLI says "cannot be reached". One classification, so every caller agrees.

/**
 * SQLSTATE classes (the first two characters) in which every code means the server
 * cannot serve us right now, whatever the statement was. Whole classes, not a list of
 * the codes seen so far, so a new spelling of the same outage is covered too.
 */
const UNAVAILABLE_SQLSTATE_CLASSES = new Set([
  '08', // connection exception: cannot connect, connection failure, protocol violation
  '28', // invalid authorization: 28000 role may not log in or does not exist, 28P01 password failed
  '3D', // invalid catalog name: 3D000 the database does not exist (dropped, renamed, mistyped)
  '53', // insufficient resources: 53300 too many connections, 53100 disk full, 53200 out of memory
  '57', // operator intervention: 57P01-05 shutdowns, cannot connect now (starting up, recovering)
  '58', // system error outside PostgreSQL: 58030 I/O error
]);

/** Single codes from other classes that mean the same. */
const UNAVAILABLE_SQLSTATES = new Set([
  '25006', // read-only transaction: a failover left the connection on a standby
]);

/** Network and socket failures reaching the server (Node's errno codes). */
const UNAVAILABLE_ERRNOS = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN',
  'EHOSTUNREACH', 'EHOSTDOWN', 'ENETUNREACH', 'ENETDOWN', 'EADDRNOTAVAIL',
]);

/**
 * What pg, pg-pool and Kysely say when a connection is gone or cannot be had, or a
 * statement got no answer within its deadline (pg's query_timeout: a server that stopped
 * answering, src/storage/postgres.ts). They carry no code, so the message is all there
 * is; each pattern is one library's fixed wording.
 */
const UNAVAILABLE_MESSAGES =
  /^Connection terminated|^timeout exceeded when trying to connect|^Query read timeout$|is not queryable$|^Cannot use a pool after calling end|^driver has already been destroyed|^Postgres connection has been discarded|^database is locked/i;

/** SQLite's primary result codes for "try again": BUSY (another writer), LOCKED, FULL (disk). */
const SQLITE_UNAVAILABLE = new Set([5, 6, 13]);

/** PostgreSQL's "try the transaction again": a serialization failure, a deadlock. */
const CONFLICT_SQLSTATES = new Set(['40001', '40P01']);

type Fields = { code?: unknown; severity?: unknown; errcode?: unknown; cause?: unknown; errors?: unknown };

/** The error and the errors it wraps (a cause chain, an AggregateError's list), bounded. */
function* chain(error: unknown, depth = 0): Generator<Error & Fields> {
  if (!(error instanceof Error) || depth > 4) return;
  yield error as Error & Fields;
  const { cause, errors } = error as Fields;
  yield* chain(cause, depth + 1);
  if (Array.isArray(errors)) for (const inner of errors) yield* chain(inner, depth + 1);
}

function unavailable(error: Error & Fields): boolean {
  const code = typeof error.code === 'string' ? error.code : '';
  // FATAL (or PANIC) from the server: it ended our session, whatever the code (55000
  // "not currently accepting connections", a shutdown, a refused login).
  if (error.severity === 'FATAL' || error.severity === 'PANIC') return true;
  if (/^[0-9A-Z]{5}$/.test(code) && (UNAVAILABLE_SQLSTATE_CLASSES.has(code.slice(0, 2)) || UNAVAILABLE_SQLSTATES.has(code))) return true;
  if (UNAVAILABLE_ERRNOS.has(code)) return true;
  if (typeof error.errcode === 'number' && SQLITE_UNAVAILABLE.has(error.errcode & 0xff)) return true;
  return UNAVAILABLE_MESSAGES.test(error.message);
}

/** True when an error means the database cannot be reached, refuses us, or is overloaded right now. */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (const link of chain(error)) if (unavailable(link)) return true;
  return false;
}

/** True for a transaction PostgreSQL rolled back so that it can be run again (see retry.ts). */
export function isTransactionConflict(error: unknown): boolean {
  const code = error instanceof Error ? (error as Fields).code : undefined;
  return typeof code === 'string' && CONFLICT_SQLSTATES.has(code);
}

/**
 * PostgreSQL's "this value cannot be stored here": a NUL in text (22021
 * character_not_in_repertoire), a character the database's encoding lacks (22P05
 * untranslatable_character). SQLite stores either as data. Only these two: any other data
 * exception (22xxx) is a value our own code got wrong, a bug to see as one.
 */
const UNREPRESENTABLE_SQLSTATES = new Set(['22021', '22P05']);

/** True when PostgreSQL refused a value it cannot hold: the request carried it, however it is wrapped. */
export function isUnrepresentableValue(error: unknown): boolean {
  for (const link of chain(error)) if (typeof link.code === 'string' && UNREPRESENTABLE_SQLSTATES.has(link.code)) return true;
  return false;
}

/** Unique-constraint violation on either engine (a race lost to another writer). */
export function isUniqueViolation(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as Fields).code;
  return code === '23505' || /UNIQUE constraint failed/i.test(error.message);
}

/**
 * A database error for a log line: its code and message only. Driver errors carry more
 * (pg-pool hangs the whole client, connection settings included, on idle errors), so an
 * error object is never handed to the logger as it is.
 */
export function describeDatabaseError(error: unknown): { code?: string; message: string } {
  if (!(error instanceof Error)) return { message: String(error) };
  const code = (error as Fields).code;
  return typeof code === 'string' ? { code, message: error.message } : { message: error.message };
}

// PostgreSQL plans every statement it is sent as text anew: it parses it, analyses it and
// plans it, for the multi-table reads of a token request (the token with its grant,
// sessions, module and account) about as long as running them. A statement sent under a
// name is parsed once per connection and its plan kept (after a few runs PostgreSQL settles
// on one generic plan). The hot reads are fixed queries (src/shared/fixed-query.ts): their
// SQL text never changes, so each is registered here and the pool's connections send it by
// name (postgres.ts). Everything else is sent as before.
import { createHash } from 'node:crypto';

const hashes = new Map<string, string>();
/**
 * Part of every name. A prepared statement's result columns are fixed when it is prepared:
 * once a migration changes them (a column added to a table a query reads with `*`, while
 * the nodes still run: docs/OPERATIONS.md, Upgrading), PostgreSQL refuses to run it again
 * ("cached plan must not change result type"). Then every name changes, so each
 * connection prepares the statements afresh.
 */
let generation = 0;

/** Marks `sql` (PostgreSQL's text of a fixed query) to be sent as a named prepared statement. */
export function registerPrepared(sql: string): void {
  if (!hashes.has(sql)) hashes.set(sql, createHash('sha256').update(sql).digest('base64url').slice(0, 32));
}

/** The statement name `sql` is sent under, if it was registered. */
export function preparedNameOf(sql: string): string | undefined {
  const hash = hashes.get(sql);
  return hash === undefined ? undefined : `gh${generation}_${hash}`;
}

/** PostgreSQL's refusal of a prepared statement whose result columns a schema change altered. */
export function isStalePreparedStatement(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return code === '0A000' && typeof message === 'string' && message.includes('cached plan must not change result type');
}

/** After a stale statement: every statement is prepared again, under new names. */
export function renamePrepared(): void {
  generation += 1;
}

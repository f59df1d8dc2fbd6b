// PostgreSQL plans every statement it is sent as text anew: it parses it, analyses it and
// plans it, for the multi-table reads of a token request (the token with its grant,
// sessions, module and account) about as long as running them. A statement sent under a
// name is parsed once per connection and its plan kept (after a few runs PostgreSQL settles
// on one generic plan). The hot reads are fixed queries (src/shared/fixed-query.ts): their
// SQL text never changes, so each is registered here and the pool's connections send it by
// name (postgres.ts). Everything else is sent as before.
import { createHash } from 'node:crypto';

const names = new Map<string, string>();

/** Marks `sql` (PostgreSQL's text of a fixed query) to be sent as a named prepared statement. */
export function registerPrepared(sql: string): void {
  if (!names.has(sql)) names.set(sql, `gh_${createHash('sha256').update(sql).digest('base64url').slice(0, 32)}`);
}

/** The statement name `sql` is sent under, if it was registered. */
export function preparedNameOf(sql: string): string | undefined {
  return names.get(sql);
}

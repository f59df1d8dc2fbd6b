// Counts what Gatehouse sends to PostgreSQL, in the benchmark's server process only: every
// query is one round trip; inserts, updates, deletes and a WITH that writes are writes. Kysely's driver runs
// each statement through pg's Client#query, so wrapping it sees all of them.
import pg from 'pg';

export const pgCounts = { roundTrips: 0, writes: 0, transactions: 0 };

export function countPostgresQueries() {
  const original = pg.Client.prototype.query as (...args: unknown[]) => unknown;
  pg.Client.prototype.query = function countedQuery(this: pg.Client, ...args: unknown[]) {
    const first = args[0];
    const text = typeof first === 'string' ? first : (first as { text?: string } | undefined)?.text ?? '';
    const verb = /^\s*(\w+)/.exec(text)?.[1]?.toLowerCase();
    pgCounts.roundTrips += 1;
    // A WITH that inserts, updates or deletes (one statement doing several writes) is one write.
    const writingWith = verb === 'with' && /\b(insert\s+into|update\s+"?\w+"?\s+set|delete\s+from)\b/i.test(text);
    if (verb === 'insert' || verb === 'update' || verb === 'delete' || writingWith) pgCounts.writes += 1;
    if (verb === 'commit') pgCounts.transactions += 1;
    return original.apply(this, args);
  } as typeof pg.Client.prototype.query;
}

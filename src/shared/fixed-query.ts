// Hot queries of one fixed shape (the lookups every token request makes), built and
// compiled to SQL once per database dialect, then run with each call's values. Kysely
// otherwise builds its immutable query tree and compiles it again on every call: for the
// small indexed reads of a token request that cost about as much as running them (Kysely
// was 9 to 19% of those requests' CPU).
//
// Only the arguments vary: the query is built once with a marker in place of each, and
// each marker must come out as a bound parameter (never in the SQL text), which is
// checked when the query is first compiled. So a fixed query cannot end up with a value
// spliced into its SQL, and a shape that depends on the values cannot be written as one
// (it would fail that check or visibly take no argument).
import { PostgresAdapter, SqliteAdapter, type CompiledQuery, type Compilable } from 'kysely';
import { registerUnflushedWrite } from '../storage/group-commit.ts';
import { registerPrepared } from '../storage/prepared-statements.ts';
import type { Queryable } from '../storage/index.ts';

/** Stands for argument `i` in the one build of the query; calls bind their values by position. */
const marker = (i: number) => `\u0000fixed-query-argument-${i}\u0000`;

interface Prepared<Row> {
  query: CompiledQuery<Row>;
  /** For each bound parameter: the argument it takes, or -1 for a constant of the query. */
  sources: number[];
}

export type FixedQuery<Args extends unknown[], Row> = (db: Queryable, ...args: Args) => Promise<Row[]>;

/**
 * `build` receives the database and one marker per argument, and returns the query; the
 * result runs it with the database (the pool or a transaction) and the real arguments.
 * The markers are strings whatever an argument's type (a number, null): the query only
 * places them, as it places values, and each call binds its own in their place.
 */
export interface FixedQueryOptions {
  /**
   * A write whose loss to a power cut is harmless (a record that fails closed and is asked
   * for again): on SQLite, a batch of only such writes is not flushed before its answers
   * (storage/group-commit.ts). Never for anything single-use, counted or audited.
   */
  flush?: 'may-wait';
}

export function fixedQuery<Args extends unknown[], Row>(build: (db: Queryable, ...args: Args) => Compilable<Row>, options: FixedQueryOptions = {}): FixedQuery<Args, Row> {
  const argumentCount = build.length - 1;
  // By dialect adapter: the pool and its transactions share it, PostgreSQL and SQLite
  // (tests run both in one process) each get their own SQL.
  const prepared = new WeakMap<object, Prepared<Row>>();

  function prepare(db: Queryable): Prepared<Row> {
    const adapter = db.getExecutor().adapter;
    let found = prepared.get(adapter);
    if (!found) {
      const markers = Array.from({ length: argumentCount }, (_, i) => marker(i));
      const query = build(db, ...(markers as unknown as Args)).compile();
      const sources = query.parameters.map((value) => markers.indexOf(value as string));
      if (markers.some((text, i) => query.sql.includes(text) || !sources.includes(i))) {
        throw new Error(`fixedQuery: every argument must be a bound parameter of the query: ${query.sql}`);
      }
      found = { query, sources };
      prepared.set(adapter, found);
      // On PostgreSQL, sent by name: parsed and planned once per connection.
      if (adapter instanceof PostgresAdapter) registerPrepared(query.sql);
      if (adapter instanceof SqliteAdapter && options.flush === 'may-wait') registerUnflushedWrite(query.sql);
    }
    return found;
  }

  return async (db, ...args) => {
    if (args.length !== argumentCount) throw new Error(`fixedQuery: ${argumentCount} arguments expected, got ${args.length}`);
    const { query, sources } = prepare(db);
    const parameters = sources.map((source, i) => (source === -1 ? query.parameters[i] : args[source]));
    const result = await db.executeQuery<Row>({ query: query.query, queryId: query.queryId, sql: query.sql, parameters });
    return result.rows;
  };
}

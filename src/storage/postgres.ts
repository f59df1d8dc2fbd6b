// Kysely's PostgresDialect over a pg pool. bigint columns hold epoch milliseconds, well
// inside Number's safe range, so they are parsed as numbers rather than strings.
import pg from 'pg';
import { PostgresDialect } from 'kysely';
import { isStalePreparedStatement, preparedNameOf, renamePrepared } from './prepared-statements.ts';

const INT8_OID = 20;

/**
 * The pool, with an error listener on every connection for its whole life. pg-pool
 * listens for a client's 'error' only while the client sits idle in the pool, and takes
 * that listener off while the client is checked out, which is the whole time Kysely runs
 * a query or a transaction on it. When the server ends such a connection (a failover, a
 * restart, pg_terminate_backend, a cut network) the client emits 'error' with nobody
 * listening, and Node ends the process: every node of a cluster at once, in a failover.
 * With our listener the error is only reported; the query in flight fails on its own
 * (its request answers 503), Kysely hands the dead client back, and the pool drops it
 * and connects afresh for the next request.
 */
export function createPostgresPool(url: string, connectionLost: (error: unknown) => void, options: { preparedStatements?: boolean } = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30_000,
  });
  // 'connect' fires once per new client, before anyone can use it.
  pool.on('connect', (client) => {
    if (options.preparedStatements !== false) sendRegisteredByName(client);
    let reported = false;
    client.on('error', (error) => {
      // A dying connection can emit several errors (the server's FATAL, then the closed
      // socket): one report per connection.
      if (reported) return;
      reported = true;
      connectionLost(error);
    });
  });
  // The pool re-emits an idle client's error after the listener above has seen it.
  pool.on('error', () => {});
  return pool;
}

/**
 * The client sends a registered statement (prepared-statements.ts) by name: pg parses a
 * name once per connection and then only binds and executes it. Kysely runs every query
 * as `client.query(text, values)`, so that call is the one place to choose. The
 * prototype's query is looked up on each call, not kept, so whatever wraps it (the tests'
 * statement counter) still sees every statement.
 */
function sendRegisteredByName(client: pg.PoolClient): void {
  client.query = function byNameWhenRegistered(this: pg.PoolClient, ...args: unknown[]) {
    const [text, values] = args;
    const name = args.length === 2 && typeof text === 'string' && Array.isArray(values) ? preparedNameOf(text) : undefined;
    const query = Object.getPrototypeOf(this).query as (...a: unknown[]) => Promise<unknown>;
    if (!name) return query.apply(this, args);
    return query.call(this, { name, text, values }).catch((error: unknown) => {
      if (!isStalePreparedStatement(error)) throw error;
      // A migration changed what it returns: prepare everything afresh from now on, and
      // run this one as text. Inside a transaction, which the refusal has aborted, this
      // fails too: that one request answers an error, once, and the next prepares anew.
      renamePrepared();
      return query.call(this, text, values);
    });
  } as typeof client.query;
}

export function createPostgresDialect(pool: pg.Pool): PostgresDialect {
  pg.types.setTypeParser(INT8_OID, (value) => Number(value));
  return new PostgresDialect({ pool });
}

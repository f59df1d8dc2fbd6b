// Kysely's PostgresDialect over a pg pool. bigint columns hold epoch milliseconds, well
// inside Number's safe range, so they are parsed as numbers rather than strings.
//
// Every wait on PostgreSQL is bounded, so a server that stops answering (a frozen host, a
// network path that drops packets without a reset) costs a request 503 after a few
// seconds instead of hanging it: getting a connection (CONNECT_TIMEOUT_MS), each
// statement (query-deadline.ts, pg's client-side query_timeout), and an idle pooled
// connection whose peer is gone is found by TCP keepalive and dropped before anyone
// draws it. A statement that outlives its deadline leaves its connection waiting for an
// answer that may never come: that connection is closed at once, never handed back to
// the pool, and PostgreSQL rolls back whatever transaction it held once it sees it closed.
//
// No server-side statement_timeout is set: it would be sent as a startup parameter, which
// PgBouncer refuses unless told to ignore it (a pooler is a supported set-up:
// docs/OPERATIONS.md), and a SET per connection would leak across a transaction pooler's
// clients. The client-side deadline bounds what a request waits for either way; an
// operator who wants the server to stop work nobody waits for any more sets one on the
// role (docs/OPERATIONS.md, "A database that stops answering").
import pg from 'pg';
import { PostgresDialect } from 'kysely';
import { isStalePreparedStatement, preparedNameOf, renamePrepared } from './prepared-statements.ts';
import { queryDeadlineNow } from './query-deadline.ts';

const INT8_OID = 20;

/**
 * Counts and other bigints come back as numbers (Gatehouse's never pass 2^53). The table
 * is the pool's own: pg's global one (pg.types.setTypeParser) would change what every
 * other user of pg in the process reads, a library or a test's own client.
 */
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary' ? Number : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

/** The longest wait for a pool connection (a free one, or a new one connected); Retry-After says about as much. */
export const CONNECT_TIMEOUT_MS = 5_000;
/** An idle connection is probed after this long without traffic (then once a second, ten times: libuv's settings). */
const KEEPALIVE_AFTER_MS = 10_000;

/** pg's words when a statement's query_timeout passed without an answer. */
export function isQueryTimeout(error: unknown): boolean {
  return error instanceof Error && error.message === 'Query read timeout';
}

export interface PoolEvents {
  /** A connection in use or idle ended (the server or network ended it, or its statement got no answer in time): once per connection. */
  connectionLost(error: unknown): void;
  /** A connection could not be had: refused, failed, or not within CONNECT_TIMEOUT_MS. */
  connectFailed?(error: unknown): void;
}

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
export function createPostgresPool(url: string, events: PoolEvents, options: { preparedStatements?: boolean } = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    keepAliveInitialDelayMillis: KEEPALIVE_AFTER_MS,
    types,
  });
  // 'connect' fires once per new client, before anyone can use it.
  pool.on('connect', (client) => {
    let reported = false;
    const lost = (error: unknown) => {
      // A dying connection can emit several errors (the server's FATAL, then the closed
      // socket): one report per connection.
      if (reported) return;
      reported = true;
      events.connectionLost(error);
    };
    client.on('error', lost);
    sendBounded(client, options.preparedStatements !== false, lost);
  });
  // The pool re-emits an idle client's error after the listener above has seen it.
  pool.on('error', () => {});
  if (events.connectFailed) noticeFailedConnects(pool, events.connectFailed);
  return pool;
}

/** pg-pool tells nobody of a connection it could not make: its connect() is watched here. */
function noticeFailedConnects(pool: pg.Pool, connectFailed: (error: unknown) => void): void {
  const connect = pool.connect.bind(pool) as (callback?: (error: Error | undefined, ...rest: unknown[]) => void) => Promise<pg.PoolClient> | undefined;
  pool.connect = function watchedConnect(callback?: (error: Error | undefined, ...rest: unknown[]) => void) {
    if (callback) {
      return connect((error, ...rest) => {
        if (error) connectFailed(error);
        callback(error, ...rest);
      });
    }
    return (connect() as Promise<pg.PoolClient>).catch((error: unknown) => {
      connectFailed(error);
      throw error;
    });
  } as typeof pool.connect;
}

/**
 * Every statement Kysely sends (`client.query(text, values)`) goes out with its deadline,
 * and by name when it is registered (prepared-statements.ts: pg parses a name once per
 * connection and then only binds and executes it). A statement whose deadline passed
 * leaves the connection busy with it (pg queues whatever comes next behind it), so the
 * connection is closed: what follows on it (Kysely's ROLLBACK) fails at once, and the
 * pool, handed it back with that error, drops it. The prototype's query is
 * looked up on each call, not kept, so whatever wraps it (the tests' statement counter)
 * still sees every statement.
 */
function sendBounded(client: pg.PoolClient, byName: boolean, lost: (error: unknown) => void): void {
  const close = (error: unknown) => {
    lost(error);
    // Handed back with an error, the pool drops it instead of keeping it idle: the socket
    // closes only after this turn, so the pool would still find it queryable.
    const release = client.release;
    client.release = ((failed?: Error | boolean) => release(failed || (error as Error))) as typeof client.release;
    (client as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
  };
  client.query = function boundedQuery(this: pg.PoolClient, ...args: unknown[]) {
    const [text, values] = args;
    const query = Object.getPrototypeOf(this).query as (...a: unknown[]) => Promise<unknown>;
    if (!(args.length === 2 && typeof text === 'string' && Array.isArray(values))) return query.apply(this, args);
    const deadline = queryDeadlineNow();
    const bound = deadline > 0 ? { query_timeout: deadline } : {};
    const send = (config: object) =>
      query.call(this, config).catch((error: unknown) => {
        if (isQueryTimeout(error)) close(error);
        throw error;
      });
    const name = byName ? preparedNameOf(text) : undefined;
    if (!name) return send({ text, values, ...bound });
    return send({ name, text, values, ...bound }).catch((error: unknown) => {
      if (!isStalePreparedStatement(error)) throw error;
      // A migration changed what it returns: prepare everything afresh from now on, and
      // run this one as text. Inside a transaction, which the refusal has aborted, this
      // fails too: that one request answers an error, once, and the next prepares anew.
      renamePrepared();
      return send({ text, values, ...bound });
    });
  } as typeof client.query;
}

export function createPostgresDialect(pool: pg.Pool): PostgresDialect {
  return new PostgresDialect({ pool });
}

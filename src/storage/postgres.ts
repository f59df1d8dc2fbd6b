// Kysely's PostgresDialect over a pg pool. bigint columns hold epoch milliseconds, well
// inside Number's safe range, so they are parsed as numbers rather than strings.
import pg from 'pg';
import { PostgresDialect } from 'kysely';

const INT8_OID = 20;

export function createPostgresPool(url: string): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30_000,
  });
  // An idle client losing its connection must not crash the process; the next query
  // reports the outage instead (answered as 503 by the HTTP layer).
  pool.on('error', () => {});
  return pool;
}

export function createPostgresDialect(pool: pg.Pool): PostgresDialect {
  pg.types.setTypeParser(INT8_OID, (value) => Number(value));
  return new PostgresDialect({ pool });
}

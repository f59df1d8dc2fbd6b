// Races forced on PostgreSQL without sleeps: a connection of the test's own holds a lock
// (a row FOR UPDATE, an uncommitted insert) while the requests under test run, and the
// test waits until they are queued behind it (pg_stat_activity), then lets go.
import pg from 'pg';

export interface LockHolder {
  /** Runs a statement in the holder's transaction, begun already. */
  query: pg.Client['query'];
  /** How many sessions of this database, the watcher's aside, wait on a lock now. */
  lockWaiters(): Promise<number>;
  /** Rolls the holder's transaction back: whoever waited goes on. */
  release(): Promise<void>;
  /** Closes both connections (after release, or on the way out of a failed test). */
  close(): Promise<void>;
}

export async function holdLocks(databaseUrl: string): Promise<LockHolder> {
  const holder = new pg.Client({ connectionString: databaseUrl });
  const watcher = new pg.Client({ connectionString: databaseUrl });
  await holder.connect();
  await watcher.connect();
  await holder.query('BEGIN');
  return {
    query: holder.query.bind(holder) as pg.Client['query'],
    lockWaiters: async () =>
      Number((await watcher.query(`select count(*)::int as n from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and wait_event_type = 'Lock'`)).rows[0].n),
    release: async () => void (await holder.query('ROLLBACK')),
    close: async () => {
      await holder.end().catch(() => {});
      await watcher.end().catch(() => {});
    },
  };
}

/** The statements of this database's other sessions that wait on a lock now, by their text. */
export async function lockWatcher(databaseUrl: string) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const waiting = async () => {
    const rows = (await client.query(`select query from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and wait_event_type = 'Lock'`)).rows;
    return rows.map((row: { query: string }) => row.query);
  };
  return {
    /** Whether a statement matching `pattern` waits on a lock. */
    waitingAt: async (pattern: RegExp) => (await waiting()).some((query) => pattern.test(query)),
    count: async () => (await waiting()).length,
    close: () => client.end().catch(() => {}),
  };
}

/** Runs `request`, noting when it has answered: a wait can end on its answer or on its lock. */
export function inFlight<T>(request: Promise<T>) {
  const state = { answered: false, answer: request };
  state.answer = request.finally(() => (state.answered = true));
  return state;
}

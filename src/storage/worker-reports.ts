// How the background workers (mail delivery; back-channel logout with its sweeps and the
// audit retention; the signing-key check) say what went wrong. They run every second or
// two whatever happens, so reporting each failed pass as it comes would write a line a
// second per worker through a database outage, at `error`, paging whoever alerts on it
// and burying the one line that matters. docs/OPERATIONS.md ("A database outage or
// failover") promises instead:
//
// - an outage (isDatabaseUnavailable) is a change of state, logged at `warn` when it is
//   first met (`database unavailable`, with code and message only: describeDatabaseError)
//   and when a worker that met it gets through a pass again (`database available again`):
//   two lines per outage per node, however long it lasts. Only a worker that met the
//   outage can end it: while a standby refuses the mail worker's writes, the logout
//   worker's passes that only read do not make the pair flap each second;
// - anything else is a bug, logged at `error` with its stack, and a delivery a server or
//   module refused at `warn`; either at most once a minute for the same error, the
//   repeats counted into the next line (`repeated`), so a bug that fails every pass is
//   seen without flooding the log.
import { describeDatabaseError, isDatabaseUnavailable } from './errors.ts';

/** The two levels of the server's logger (pino) the workers write at. */
export interface WorkerLog {
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/** One worker's reports. */
export interface WorkerReports {
  /** Its work failed: the database unavailable, or a bug. */
  failed(error: unknown): void;
  /**
   * A delivery failed: refused or not answered by its recipient (an SMTP server, a module),
   * and recorded in the outbox with its last error. Never the database's: a worker reports
   * a failure to record it, or to mark it delivered, as `failed`.
   */
  undelivered(error: unknown): void;
  /** A pass went through: the database answered it. */
  passed(): void;
}

/** The same error is written at most once in this long. */
export const REPEAT_WINDOW_MS = 60_000;
/** Different errors remembered at once; past it, the oldest is forgotten (its next repeat is written). */
const REMEMBERED = 100;

/**
 * Reports for each named worker of one node, written to `log()` (looked up at each line:
 * the server's logger is made after the workers). The outage state is the node's: one
 * `database unavailable` whichever worker meets it first.
 */
export function workerReports(log: () => WorkerLog, clock: () => number = Date.now): (worker: string) => WorkerReports {
  /** The workers that met the outage under way (empty: none known). */
  const down = new Set<string>();
  /** Per worker and error: when it was last written, and how often it came since. */
  const written = new Map<string, { at: number; repeated: number }>();

  function atMostOnceAMinute(key: string, write: (repeated: number) => void) {
    const now = clock();
    const last = written.get(key);
    if (last && now - last.at < REPEAT_WINDOW_MS) {
      last.repeated += 1;
      return;
    }
    written.delete(key);
    if (written.size >= REMEMBERED) written.delete(written.keys().next().value as string);
    written.set(key, { at: now, repeated: 0 });
    write(last?.repeated ?? 0);
  }

  function unavailable(worker: string, error: unknown) {
    if (down.has(worker)) return;
    down.add(worker);
    if (down.size === 1) log().warn({ worker, database: describeDatabaseError(error) }, 'database unavailable');
  }

  /** Code and message, the stack for a bug; never the error object (a driver's hangs its client on it, settings included). */
  function fields(error: unknown, withStack: boolean) {
    const described = describeDatabaseError(error);
    const stack = withStack && error instanceof Error ? error.stack : undefined;
    return stack ? { ...described, stack } : described;
  }

  return (worker) => ({
    failed(error) {
      if (isDatabaseUnavailable(error)) return unavailable(worker, error);
      const err = fields(error, true);
      atMostOnceAMinute(`${worker}\n${err.code ?? ''}\n${err.message}`, (repeated) =>
        log().error({ worker, err, ...(repeated ? { repeated } : {}) }, 'background work failed'),
      );
    },
    undelivered(error) {
      // The recipient's failure, whatever its cause says: a module's refused connection is a
      // socket error as a database's is (ECONNREFUSED), and is no outage of the database.
      const err = fields(error, false);
      atMostOnceAMinute(`${worker}\n${err.code ?? ''}\n${err.message}`, (repeated) =>
        log().warn({ worker, err, ...(repeated ? { repeated } : {}) }, 'delivery failed'),
      );
    },
    passed() {
      if (!down.has(worker)) return;
      down.clear();
      log().warn({ worker }, 'database available again');
    },
  });
}

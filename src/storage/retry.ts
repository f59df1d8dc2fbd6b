// Transactions PostgreSQL rolls back on purpose (a deadlock, a serialization failure) are
// run again, a few times, after a short random pause, so two concurrent requests that
// collide both succeed instead of one answering an error. Only whole transactions are
// retried: PostgreSQL guarantees nothing of a rolled-back one was kept. A statement
// outside a transaction, or a failure of the connection itself (a COMMIT may or may not
// have happened), is never run again here; those answer 503 and the client decides.
//
// Every db.transaction() in Gatehouse goes through here (openStorage builds the database
// with RetryingKysely), so a transaction's callback must only talk to the database: no
// mail sent, no outside call, no state kept outside it. Mail goes through the outbox, a
// row written in the same transaction, for this reason among others.
import { Kysely, type TransactionBuilder } from 'kysely';
import { isTransactionConflict } from './errors.ts';

/** Runs at most this many times in all. */
export const TRANSACTION_ATTEMPTS = 4;
const BASE_DELAY_MS = 10;

/** Full jitter: a random pause up to 10, 20, 40 ms, so the colliding twins spread apart. */
function pause(attempt: number): Promise<void> {
  const ms = Math.random() * BASE_DELAY_MS * 2 ** (attempt - 1);
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function retryConflicts<T>(run: () => Promise<T>, attempts = TRANSACTION_ATTEMPTS): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await run();
    } catch (error) {
      if (attempt >= attempts || !isTransactionConflict(error)) throw error;
      await pause(attempt);
    }
  }
}

function retrying<DB>(builder: TransactionBuilder<DB>): TransactionBuilder<DB> {
  // TransactionBuilder keeps its settings in private fields, so it is wrapped, not extended.
  const wrapped: Pick<TransactionBuilder<DB>, 'execute' | 'setAccessMode' | 'setIsolationLevel'> = {
    execute: (callback) => retryConflicts(() => builder.execute(callback)),
    setAccessMode: (mode) => retrying(builder.setAccessMode(mode)),
    setIsolationLevel: (level) => retrying(builder.setIsolationLevel(level)),
  };
  return wrapped as TransactionBuilder<DB>;
}

/**
 * Kysely whose transaction() retries conflicts. (withPlugin() and withSchema() would hand
 * back a plain Kysely; Gatehouse uses neither.)
 */
export class RetryingKysely<DB> extends Kysely<DB> {
  override transaction(): TransactionBuilder<DB> {
    return retrying(super.transaction());
  }
}

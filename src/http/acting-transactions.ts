// Who a write request acts for, checked again in every transaction its handler opens.
// A route's guard reads its actor as the request comes in (a Master's role from the
// session, an API client's token); the change it then makes is written later, in a
// transaction, after anything could have happened in between (a demotion, a
// deactivation, a client deleted). The capabilities each write their own transactions;
// rather than have each remember to check its actor, the database's transactions begin
// with the check while a handler runs as that actor (an AsyncLocalStorage), whichever
// capability opens them and however it names its actor.
import type { AsyncLocalStorage } from 'node:async_hooks';
import type { Transaction, TransactionBuilder } from 'kysely';
import type { Db } from '../storage/index.ts';
import type { Database } from '../storage/schema.ts';

/** Runs `change` in `tx` as `actor`: checks the actor there first (and, if it likes, last). */
export type ActingCheck<A> = <T>(tx: Transaction<Database>, actor: A, change: () => Promise<T>) => Promise<T>;

const installed = new WeakMap<Db, Set<AsyncLocalStorage<never>>>();

/**
 * From now on, a transaction of `db` begun while `acting` holds an actor runs inside
 * `check`; begun anywhere else (no actor in the store), it is the database's own, retries
 * included. Installed on the database object itself, once per kind of actor, rather than
 * on a view of it: everything holding this database sees the same transactions.
 */
export function checkActorInTransactions<A>(db: Db, acting: AsyncLocalStorage<A>, check: ActingCheck<A>): void {
  const kinds = installed.get(db) ?? new Set();
  if (kinds.has(acting as AsyncLocalStorage<never>)) return;
  kinds.add(acting as AsyncLocalStorage<never>);
  installed.set(db, kinds);
  const begin = db.transaction.bind(db);
  const asActor = (builder: TransactionBuilder<Database>): TransactionBuilder<Database> => {
    const actor = acting.getStore();
    if (actor === undefined) return builder;
    const wrapped: Pick<TransactionBuilder<Database>, 'execute' | 'setAccessMode' | 'setIsolationLevel'> = {
      execute: (callback) => builder.execute((tx) => check(tx, actor, () => callback(tx))),
      setAccessMode: (mode) => asActor(builder.setAccessMode(mode)),
      setIsolationLevel: (level) => asActor(builder.setIsolationLevel(level)),
    };
    return wrapped as TransactionBuilder<Database>;
  };
  db.transaction = () => asActor(begin());
}

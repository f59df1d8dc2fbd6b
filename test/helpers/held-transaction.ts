// Holds the next transaction the test server opens, before it begins (so it holds no lock
// and other requests go on), until the test releases it: a request paused after its guard
// and before its writes, to force a race into a known order. Or a statement, after it ran
// and before its transaction commits (holdAfterStatement). Only its timing is the test's.
import type { TestServer } from './server.ts';

export interface HeldTransaction {
  /** Resolves once a transaction has reached the hold. */
  atHold: Promise<void>;
  /** Lets it begin. */
  release: () => void;
  /** Puts the server's transaction builder back (call it in `finally`). */
  restore: () => void;
}

/** A gate the held code waits at (`wait`), telling the test it got there (`atHold`) until `release`. */
function holdGate() {
  let reached!: () => void;
  let release!: () => void;
  const atHold = new Promise<void>((resolve) => (reached = resolve));
  const gate = new Promise<void>((resolve) => (release = resolve));
  return { atHold, release, wait: () => (reached(), gate) };
}

/**
 * `from`: only a transaction opened by code whose stack contains it is held (a source
 * path such as '/src/users/invitations.ts', or 'at resetTwoFactor '); without it, the
 * very next one.
 */
export function holdNextTransaction(server: TestServer, from?: string): HeldTransaction {
  const db = server.gatehouse.deps.db as unknown as { transaction: () => { execute: (cb: unknown) => Promise<unknown> } };
  const original = db.transaction;
  const { atHold, release, wait } = holdGate();
  let armed = true;
  db.transaction = function (this: unknown) {
    const builder = original.call(this);
    if (!armed || (from !== undefined && !new Error().stack?.includes(from))) return builder;
    armed = false;
    return {
      ...builder,
      execute: async (cb: unknown) => {
        await wait();
        return builder.execute(cb);
      },
    };
  };
  return { atHold, release, restore: () => (db.transaction = original) };
}

/**
 * Sends `request`, waits until it is held at `hold` (its transaction not begun), runs
 * `meanwhile`, then lets it go on and answers what it answered. A request answered
 * before it reached the hold fails the test: the race was not forced.
 */
export async function racedAtHold<A>(hold: HeldTransaction, request: () => Promise<A>, meanwhile: () => Promise<void>): Promise<A> {
  try {
    const answer = request();
    let held = false;
    await Promise.race([hold.atHold.then(() => (held = true)), answer]);
    if (!held) throw new Error(`answered before it was held: ${JSON.stringify(await answer)}`);
    await meanwhile();
    hold.release();
    return await answer;
  } finally {
    hold.release();
    hold.restore();
  }
}

/**
 * Holds the server's first statement whose SQL matches `pattern` after it ran, its
 * transaction still open (what it wrote not committed), until the test releases it.
 */
export function holdAfterStatement(server: TestServer, pattern: RegExp) {
  const executor = Object.getPrototypeOf(Object.getPrototypeOf(server.gatehouse.deps.db.getExecutor())) as { executeQuery: (query: { sql: string }) => Promise<unknown> };
  const original = executor.executeQuery;
  const { atHold, release, wait } = holdGate();
  let armed = true;
  executor.executeQuery = async function (this: unknown, query) {
    const result = await original.call(this, query);
    if (armed && pattern.test(query.sql)) {
      armed = false;
      await wait();
    }
    return result;
  };
  return { atHold, release, restore: () => (executor.executeQuery = original) };
}

// Password spraying (one or two guesses at many accounts) never trips a per-user lockout,
// so failed logins are also counted per client address. Past the limit in any window,
// that address gets "too many attempts" at the password step until its failures of the
// last window fall under it, while the accounts themselves stay unlocked for their real
// users elsewhere.
// An address is counted as its client network (an IPv6 host's whole /64), or a sprayer
// with a /64 would have a fresh count for every guess.
import { sql } from 'kysely';
import { clientNetwork } from '../shared/client-network.ts';
import { rolledBuckets, type Queryable } from '../storage/index.ts';
import { sweepPacer } from '../storage/sweep-pacer.ts';

export const IP_WINDOW_MS = 15 * 60_000;
export const IP_MAX_FAILURES = 30;

/**
 * The address's failures in the last IP_WINDOW_MS (0 when none), for the password step's
 * read (login-subject.ts, a fixed query: its bound arguments come from throttleArguments).
 * Counted as the rate caps count (src/storage/rate-caps.ts): contiguous buckets of the
 * window's length, the current one's failures with the previous one's, so the limit holds
 * in ANY 15 minutes (a window reset wholesale let 30 through at its end and 30 more at the
 * next one's start). `windowStart` is now minus one window, `previousStart` minus two.
 */
export function ipFailuresSince(address: string, windowStart: number, previousStart: number) {
  return sql<number | string>`coalesce((select case when login_throttle.window_start > ${windowStart} then login_throttle.failures + login_throttle.previous_failures when login_throttle.window_start > ${previousStart} then login_throttle.failures else 0 end from login_throttle where login_throttle.ip = ${address}), 0)`;
}

/**
 * The count is read before the password is checked and a failure counted after it, a
 * hash later: a burst of guesses sent at once would all read the same count and all be
 * checked. So, per network on this node, the checks in flight count too, as failures they
 * may become, and so do the failures this node counted while the read was under way (the
 * read may not have seen them): a check takes its turn only while all of these stay under
 * the limit, so a burst is checked at most up to the limit per node. In memory, per
 * Gatehouse (keyed by its database handle, `owner`): nothing more is written for it.
 */
interface NetworkState {
  /** Reads under way (tickets not yet used) and checks in flight: the state lives while either does. */
  reading: number;
  running: number;
  /** Failures this node has counted for the network while the state lived (only differences are read). */
  counted: number;
}
const statesOf = new WeakMap<object, Map<string, NetworkState>>();

function stateOf(owner: object, network: string): NetworkState {
  let states = statesOf.get(owner);
  if (!states) statesOf.set(owner, (states = new Map()));
  let state = states.get(network);
  if (!state) states.set(network, (state = { reading: 0, running: 0, counted: 0 }));
  return state;
}

/** An idle network with nothing to remember is forgotten (its count lives in the database). */
function forgetIfIdle(owner: object, network: string, state: NetworkState) {
  if (state.reading === 0 && state.running === 0) statesOf.get(owner)?.delete(network);
}

/**
 * Before the password step's read: a ticket that, given the failures the read found, takes
 * a turn to check a password from `ip`, or gives null when the network is at its limit.
 * The turn's release is called when the check is over.
 */
export function addressTicket(owner: object, ip: string | null) {
  const network = clientNetwork(ip);
  const state = stateOf(owner, network);
  const countedBefore = state.counted;
  state.reading += 1;
  return (failuresRead: number): (() => void) | null => {
    state.reading -= 1;
    const unseen = state.counted - countedBefore;
    if (failuresRead + unseen + state.running >= IP_MAX_FAILURES) {
      forgetIfIdle(owner, network, state);
      return null;
    }
    state.running += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      state.running -= 1;
      forgetIfIdle(owner, network, state);
    };
  };
}

/** The address counted for `ip`, and the starts of the window and of the one before it at `now` (ipFailuresSince). */
export const throttleArguments = (ip: string | null, now: number) => [clientNetwork(ip), now - IP_WINDOW_MS, now - 2 * IP_WINDOW_MS] as const;

/** Counts one failure for the address, atomically, moving its buckets on when due. */
export async function countIpFailure(db: Queryable, ip: string | null, now: number): Promise<void> {
  const [network] = throttleArguments(ip, now);
  const buckets = rolledBuckets('login_throttle', { start: 'window_start', count: 'failures', previous: 'previous_failures' }, now, IP_WINDOW_MS);
  await db
    .insertInto('login_throttle')
    .values({ ip: network, window_start: now, failures: 1 })
    .onConflict((oc) =>
      oc.column('ip').doUpdateSet({
        failures: sql<number>`${buckets.current} + 1`,
        previous_failures: buckets.previous,
        window_start: buckets.start,
      }),
    )
    .execute();
  // Once stored: the checks of this network whose reads began before may have missed it
  // (addressTicket). Counted after the write, so none can miss it both ways.
  const state = statesOf.get(db)?.get(network);
  if (state) state.counted += 1;
  await sweepOverWindows(db, now);
}

// Counts no longer counted (their bucket and the next both over) are only clutter (a spray
// from many networks leaves a row each): swept on the way, once a minute per process.
const sweepDue = sweepPacer();
async function sweepOverWindows(db: Queryable, now: number) {
  if (sweepDue(now)) await db.deleteFrom('login_throttle').where('window_start', '<=', now - 2 * IP_WINDOW_MS).execute();
}

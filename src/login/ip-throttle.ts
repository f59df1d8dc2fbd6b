// Password spraying (one or two guesses at many accounts) never trips a per-user lockout,
// so failed logins are also counted per client address. Past the limit in a window,
// that address gets "too many attempts" at the password step for the rest of the
// window, while the accounts themselves stay unlocked for their real users elsewhere.
// An address is counted as its client network (an IPv6 host's whole /64), or a sprayer
// with a /64 would have a fresh count for every guess.
import { sql } from 'kysely';
import { clientNetwork } from '../shared/client-network.ts';
import type { Queryable } from '../storage/index.ts';
import { sweepPacer } from '../storage/sweep-pacer.ts';

export const IP_WINDOW_MS = 15 * 60_000;
export const IP_MAX_FAILURES = 30;

/**
 * The address's failures in its window (0 when none), for the password step's read
 * (login-subject.ts, a fixed query: `address` and `windowStart` are its bound arguments,
 * from throttleArguments).
 */
export function ipFailuresSince(address: string, windowStart: number) {
  return sql<number | string>`coalesce((select login_throttle.failures from login_throttle where login_throttle.ip = ${address} and login_throttle.window_start > ${windowStart}), 0)`;
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

/** The address counted for `ip`, and the start of the window that counts at `now`. */
export const throttleArguments = (ip: string | null, now: number) => [clientNetwork(ip), now - IP_WINDOW_MS] as const;

/** Counts one failure for the address, atomically, starting a new window when due. */
export async function countIpFailure(db: Queryable, ip: string | null, now: number): Promise<void> {
  const [network] = throttleArguments(ip, now);
  const windowOver = sql<boolean>`login_throttle.window_start <= ${now - IP_WINDOW_MS}`;
  await db
    .insertInto('login_throttle')
    .values({ ip: network, window_start: now, failures: 1 })
    .onConflict((oc) =>
      oc.column('ip').doUpdateSet({
        failures: sql<number>`case when ${windowOver} then 1 else login_throttle.failures + 1 end`,
        window_start: sql<number>`case when ${windowOver} then ${now} else login_throttle.window_start end`,
      }),
    )
    .execute();
  // Once stored: the checks of this network whose reads began before may have missed it
  // (addressTicket). Counted after the write, so none can miss it both ways.
  const state = statesOf.get(db)?.get(network);
  if (state) state.counted += 1;
  await sweepOverWindows(db, now);
}

// Counts whose window is over are only clutter (a spray from many networks leaves a row
// each): swept on the way, once a minute per process.
const sweepDue = sweepPacer();
async function sweepOverWindows(db: Queryable, now: number) {
  if (sweepDue(now)) await db.deleteFrom('login_throttle').where('window_start', '<=', now - IP_WINDOW_MS).execute();
}

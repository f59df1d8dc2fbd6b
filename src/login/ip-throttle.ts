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
 * Whether the address is past the limit in its window: 1 or 0, for the password step's read
 * (login-subject.ts, a fixed query: `address` and `windowStart` are its bound arguments,
 * from throttleArguments).
 */
export function ipThrottledSince(address: string, windowStart: number) {
  return sql<number>`case when exists (select 1 from login_throttle where login_throttle.ip = ${address} and login_throttle.window_start > ${windowStart} and login_throttle.failures >= ${IP_MAX_FAILURES}) then 1 else 0 end`;
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
  await sweepOverWindows(db, now);
}

// Counts whose window is over are only clutter (a spray from many networks leaves a row
// each): swept on the way, once a minute per process.
const sweepDue = sweepPacer();
async function sweepOverWindows(db: Queryable, now: number) {
  if (sweepDue(now)) await db.deleteFrom('login_throttle').where('window_start', '<=', now - IP_WINDOW_MS).execute();
}

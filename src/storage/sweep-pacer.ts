// Expired rows that nothing finds any more (a login flow, a provider request past its
// time) are only clutter, so they are swept on the way, by whichever request comes by,
// at most once a minute per process: a DELETE on every sign-in would be one write in
// every login for nothing. Each table keeps its own pacer.

/** A function answering, for `now`, whether a sweep is due (and if so counting it as done). */
export function sweepPacer(everyMs = 60_000): (now: number) => boolean {
  let nextAt = 0;
  return (now) => {
    // A clock set back (nextAt far in the future) sweeps again rather than waiting.
    if (now < nextAt && nextAt - now <= everyMs) return false;
    nextAt = now + everyMs;
    return true;
  };
}

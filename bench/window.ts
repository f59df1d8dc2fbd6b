// The rate of a closed loop (N users, each starting a new login or hash as soon as the last
// ends) over a measured window. Counting what finishes inside the window is coarse when one
// operation takes about as long as the window (a loaded login takes seconds): the count
// jumps by whole batches. Each operation instead counts for the share of its duration that
// falls inside the window, which is how far the users got through their work in it.

/** Operations per second over [from, until] (performance.now() milliseconds). */
export function windowRate(operations: Array<{ start: number; end: number }>, from: number, until: number): number {
  let progress = 0;
  for (const { start, end } of operations) {
    const overlap = Math.min(end, until) - Math.max(start, from);
    if (overlap > 0 && end > start) progress += overlap / (end - start);
  }
  return progress / ((until - from) / 1000);
}

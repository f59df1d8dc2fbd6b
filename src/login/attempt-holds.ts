// Attempt slots a login's password step holds while its hash runs (lockout.ts says how
// they count). A hold is not a failure, so it is never taken back by a second write: it
// lapses by itself, or the login's next write gives it back.
//
// Holds are counted per time window of HOLD_WINDOW_MS on the user's row: `holds_now` for
// the window `hold_window`, `holds_before` for the one before it. A hold taken in window k
// counts through windows k and k + 1, so it lasts between one and two windows whatever
// comes after it: steady traffic cannot keep old holds alive (a single lapse time moved by
// every new hold would). The flow a hold was taken for records its window
// (`login_flows.slot_hold_window`), which is how the login gives back its own hold, from
// the right count, and excuses it at its own code step.
//
// A hold must outlast its hash: the hash must start within HASH_WAIT_MS (the hasher's
// queue refuses a later turn: crypto/passwords.ts) and runs well under a second even on a
// busy core, inside the window the hold is sure to last. Windows are read from each
// node's clock, which NTP keeps within far less than a window of the others'.
import { sql, type RawBuilder } from 'kysely';
import type { FlowRow } from './flows.ts';

export const HOLD_WINDOW_MS = 8_000;
export const HASH_WAIT_MS = 4_000;

/** Every hold taken this long ago has lapsed. */
export const HOLDS_LAPSE_MS = 2 * HOLD_WINDOW_MS;

export const holdWindowAt = (now: number) => Math.floor(now / HOLD_WINDOW_MS);

/** The holds counted in window k: the user's row's, this window's and the last one's. */
export const liveHolds = (k: number) =>
  sql<number>`(case when hold_window = ${k} then holds_now + holds_before when hold_window = ${k - 1} then holds_now else 0 end)`;

/** The user's row's columns once a hold is taken in window k (the counts of older windows dropped). */
export const takingHold = (k: number) => ({
  holds_before: sql<number>`case when hold_window = ${k} then holds_before when hold_window = ${k - 1} then holds_now else 0 end`,
  holds_now: sql<number>`case when hold_window = ${k} then holds_now + 1 else 1 end`,
  hold_window: k,
});

/**
 * The user's row's columns once the hold taken in window `window` is given back: from the
 * count that holds it, if one still does. `window` may be an SQL expression (a flow row's
 * column read in the same statement); null gives nothing back.
 */
export const givingHoldBack = (window: number | null | RawBuilder<number | null>) =>
  window === null
    ? {}
    : {
        holds_now: sql<number>`case when hold_window = ${window} and holds_now > 0 then holds_now - 1 else holds_now end`,
        holds_before: sql<number>`case when hold_window = ${window} + 1 and holds_before > 0 then holds_before - 1 else holds_before end`,
      };

/** Whether a flow's own hold is still counted now (1) or not (0): taken, not given back, not lapsed. */
export const ownHold = (flow: Pick<FlowRow, 'slot_hold_window'>, now: number) =>
  flow.slot_hold_window !== null && flow.slot_hold_window >= holdWindowAt(now) - 1 ? 1 : 0;

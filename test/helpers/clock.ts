// A clock the test moves by hand: link expiry, request ages and TOTP steps without waiting.
export interface TestClock {
  (): number;
  set(ms: number): void;
  advance(ms: number): void;
}

/**
 * The wall clock, which a test may move on (never back past it by much: `set` is for the
 * start). For a server a real browser talks to: time runs, as the browser's and a module's
 * do, yet a test that needs a later TOTP step moves the clock there instead of waiting up
 * to 30 s for it (test/e2e/support.ts, freshCode).
 */
export function runningClock(): TestClock {
  let ahead = 0;
  const clock = (() => Date.now() + ahead) as TestClock;
  clock.set = (ms) => {
    ahead = ms - Date.now();
  };
  clock.advance = (ms) => {
    ahead += ms;
  };
  return clock;
}

export function testClock(start = Date.UTC(2026, 10, 29, 9, 0, 10)): TestClock {
  let now = start;
  const clock = (() => now) as TestClock;
  clock.set = (ms) => {
    now = ms;
  };
  clock.advance = (ms) => {
    now += ms;
  };
  return clock;
}

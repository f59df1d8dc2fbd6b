// Time comes in as a dependency so tests can pin it (TOTP steps, link expiry, ages).
export type Clock = () => number;
export const systemClock: Clock = () => Date.now();

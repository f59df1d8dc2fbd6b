// V8's young generation (where new objects live until a scavenge) grows to two 32 MiB
// semi-spaces by default on a 64-bit machine with enough memory, and the pages it has
// grown into stay in the process's RSS when it shrinks back. Capped at 8 MiB, a node keeps
// about 12 MiB less idle and about 60 MiB less after a burst of token requests than at 16,
// and the token endpoints' rates stayed within the benchmark's noise (docs/PERFORMANCE-LOG.md,
// Memory). V8 reads the limit only as the process starts, so it is a command-line flag:
// `npm start`, the systemd unit in docs/OPERATIONS.md and the cluster's workers pass it.
export const YOUNG_GENERATION_FLAG = '--max-semi-space-size=8';

/** `execArgv` with the young generation's limit added, unless the operator gave one (on the command line or in NODE_OPTIONS). */
export function withYoungGenerationLimit(execArgv: readonly string[], nodeOptions = process.env.NODE_OPTIONS ?? ''): string[] {
  const given = [...execArgv, ...nodeOptions.split(/\s+/)].some((arg) => /^--max[-_]semi[-_]space[-_]size\b/.test(arg));
  return given ? [...execArgv] : [...execArgv, YOUNG_GENERATION_FLAG];
}

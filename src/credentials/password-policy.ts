// The password rule. The composition part (8+ with lower, upper, digit, symbol) is the
// seed's and a deliberate, documented deviation from NIST 800-63B (docs/SECURITY.md);
// the estimator refuses guessable passwords that satisfy it anyway, like "Password1!".
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';
import * as english from '@zxcvbn-ts/language-en';
import { MAX_PASSWORD_LENGTH } from '../crypto/index.ts';

export const MIN_PASSWORD_LENGTH = 8;
const ESTIMATED_PREFIX = 64;

export const PASSWORD_RULES = [
  { id: 'length', label: `At least ${MIN_PASSWORD_LENGTH} characters`, test: (p: string) => [...p].length >= MIN_PASSWORD_LENGTH },
  { id: 'lower', label: 'A lower-case letter', test: (p: string) => /\p{Ll}/u.test(p) },
  { id: 'upper', label: 'An upper-case letter', test: (p: string) => /\p{Lu}/u.test(p) },
  { id: 'digit', label: 'A number', test: (p: string) => /\p{Nd}/u.test(p) },
  { id: 'symbol', label: 'A symbol', test: (p: string) => /[^\p{L}\p{Nd}\s]/u.test(p) },
] as const;

// Built on first use: loading the dictionaries takes a moment we don't spend at start-up.
let estimator: ZxcvbnFactory | undefined;
function getEstimator(): ZxcvbnFactory {
  estimator ??= new ZxcvbnFactory({
    dictionary: { ...common.dictionary, ...english.dictionary },
    graphs: common.adjacencyGraphs,
    translations: english.translations,
  });
  return estimator;
}

export type PasswordVerdict =
  | { ok: true }
  | { ok: false; reason: 'too_weak' | 'too_common'; message: string };

/** Checks a new password; `context` words (username, company) count as guessable. */
export function checkNewPassword(password: string, context: string[] = []): PasswordVerdict {
  if (password.length > MAX_PASSWORD_LENGTH) {
    return { ok: false, reason: 'too_weak', message: `Use at most ${MAX_PASSWORD_LENGTH} characters.` };
  }
  const missing = PASSWORD_RULES.filter((rule) => !rule.test(password));
  if (missing.length > 0) {
    return { ok: false, reason: 'too_weak', message: `Still needed: ${missing.map((r) => r.label.toLowerCase()).join(', ')}.` };
  }
  // Score 0-4; below 3 falls to an offline attack in well under a day of guessing.
  // The estimator's cost grows steeply with length, so it sees the first 64 characters
  // only: no dictionary word or pattern is longer, and a 1 KiB password cannot stall
  // the event loop.
  const result = getEstimator().check(password.slice(0, ESTIMATED_PREFIX), context.filter(Boolean));
  if (result.score < 3) {
    const hint = result.feedback.warning ? ` ${result.feedback.warning}` : '';
    return { ok: false, reason: 'too_common', message: `This password is too common or easy to guess.${hint}` };
  }
  return { ok: true };
}

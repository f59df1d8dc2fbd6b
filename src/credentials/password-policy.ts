// The password rule. The composition part (by default 8+ with lower, upper, digit,
// symbol: the seed's) is a deliberate, documented deviation from NIST 800-63B
// (docs/SECURITY.md), and each company may change it; the estimator refuses guessable
// passwords that satisfy it anyway, like "Password1!", whatever the company chose.
// The policy file needs no other capability, so this deep import makes no import cycle.
import { getCompanyPolicy } from '../companies/policy.ts';
import {
  DEFAULT_PASSWORD_RULE,
  MAX_PASSWORD_LENGTH,
  normalizePassword,
  passwordRules,
  passwordTooLong,
  samePassword,
  type PasswordRule,
} from '../contract/password-rules.ts';
import type { Queryable } from '../storage/index.ts';
import { estimatePassword } from './estimator/index.ts';

export { DEFAULT_PASSWORD_RULE, passwordRules, samePassword, type PasswordRule };

export const MIN_PASSWORD_LENGTH = 8;
const ESTIMATED_PREFIX = 64;

export const PASSWORD_RULES = passwordRules(DEFAULT_PASSWORD_RULE);

export type PasswordVerdict =
  | { ok: true }
  | { ok: false; reason: 'too_weak' | 'too_common'; message: string };

/** Who a check is for: `context` words (username, company) count as guessable; `holder` names whose check waits. */
export interface CheckFor {
  context?: string[];
  holder?: string;
}

/** Checks a new password against a rule and the common-password estimator. */
export async function checkNewPassword(password: string, rule: PasswordRule = DEFAULT_PASSWORD_RULE, checkFor: CheckFor = {}): Promise<PasswordVerdict> {
  const { context = [], holder = '' } = checkFor;
  if (passwordTooLong(password)) {
    return { ok: false, reason: 'too_weak', message: `Use at most ${MAX_PASSWORD_LENGTH} characters.` };
  }
  const missing = passwordRules(rule).filter((check) => !check.test(password));
  if (missing.length > 0) {
    return { ok: false, reason: 'too_weak', message: `Still needed: ${missing.map((r) => r.label.toLowerCase()).join(', ')}.` };
  }
  // Score 0-4; below 3 falls to an offline attack in well under a day of guessing.
  // The estimator's cost grows steeply with length, so it sees the first 64 characters
  // only: no dictionary word or pattern is longer, and a 1 KiB password cannot stall
  // the estimator's thread (./estimator) for seconds.
  // The estimator sees what is hashed: a fullwidth "Ｐａｓｓｗｏｒｄ１！" is "Password1!".
  const estimate = await estimatePassword(normalizePassword(password).slice(0, ESTIMATED_PREFIX), guessableWords(context), holder);
  if (estimate.score < 3) {
    const hint = estimate.warning ? ` ${estimate.warning}` : '';
    return { ok: false, reason: 'too_common', message: `This password is too common or easy to guess.${hint}` };
  }
  return { ok: true };
}

/**
 * The words a guesser tries first for this person, as the estimator's dictionary: each
 * name as written, its parts and the parts run together. The estimator matches a word whole
 * (lowercased only), so "Northwind Traders" and "anna.kowalska" were never found in
 * "NorthwindTraders1!" or "AnnaKowalska2026!". Parts shorter than three characters add
 * nothing a brute force would not try first. Normalized as the password is.
 */
export function guessableWords(context: string[]): string[] {
  const words = new Set<string>();
  for (const name of context) {
    const whole = normalizePassword(name).toLowerCase().trim();
    if (!whole) continue;
    words.add(whole);
    const parts = whole.split(/[^\p{L}\p{Nd}]+/u).filter((part) => part.length >= 3);
    for (const part of parts) words.add(part);
    if (parts.length > 1) words.add(parts.join(''));
  }
  return [...words];
}

/** The rule a company's Masters chose (the default for an unknown company). */
export async function passwordRuleFor(db: Queryable, companyId: string): Promise<PasswordRule> {
  const policy = await getCompanyPolicy(db, companyId);
  return { minLength: policy.passwordMinLength, classes: policy.passwordClasses };
}

/** A new password checked against its company's rule, plus the common-password check. */
export async function checkPasswordForCompany(db: Queryable, companyId: string, password: string, checkFor: CheckFor = {}) {
  return checkNewPassword(password, await passwordRuleFor(db, companyId), checkFor);
}

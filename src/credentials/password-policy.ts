// The password rule. The composition part (by default 8+ with lower, upper, digit,
// symbol: the seed's) is a deliberate, documented deviation from NIST 800-63B
// (docs/SECURITY.md), and each company may change it; the estimator refuses guessable
// passwords that satisfy it anyway, like "Password1!", whatever the company chose.
import { createRequire } from 'node:module';
import type { ZxcvbnFactory } from '@zxcvbn-ts/core';
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

export { DEFAULT_PASSWORD_RULE, passwordRules, samePassword, type PasswordRule };

export const MIN_PASSWORD_LENGTH = 8;
const ESTIMATED_PREFIX = 64;

export const PASSWORD_RULES = passwordRules(DEFAULT_PASSWORD_RULE);

// Loaded and built on first use, not imported: the dictionaries are tens of MiB once
// decompressed, and only sign-up and password changes need them (a node that only
// signs people in never loads them). require() keeps the check synchronous.
const load = createRequire(import.meta.url);
let estimator: ZxcvbnFactory | undefined;
function getEstimator(): ZxcvbnFactory {
  if (!estimator) {
    const { ZxcvbnFactory: Factory } = load('@zxcvbn-ts/core') as typeof import('@zxcvbn-ts/core');
    const common = load('@zxcvbn-ts/language-common') as typeof import('@zxcvbn-ts/language-common');
    const english = load('@zxcvbn-ts/language-en') as typeof import('@zxcvbn-ts/language-en');
    estimator = new Factory({
      dictionary: { ...common.dictionary, ...english.dictionary },
      graphs: common.adjacencyGraphs,
      translations: english.translations,
    });
  }
  return estimator;
}

export type PasswordVerdict =
  | { ok: true }
  | { ok: false; reason: 'too_weak' | 'too_common'; message: string };

/** Checks a new password; `context` words (username, company) count as guessable. */
export function checkNewPassword(password: string, context: string[] = [], rule: PasswordRule = DEFAULT_PASSWORD_RULE): PasswordVerdict {
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
  // the event loop.
  // The estimator sees what is hashed: a fullwidth "Ｐａｓｓｗｏｒｄ１！" is "Password1!".
  const result = getEstimator().check(normalizePassword(password).slice(0, ESTIMATED_PREFIX), context.filter(Boolean));
  if (result.score < 3) {
    const hint = result.feedback.warning ? ` ${result.feedback.warning}` : '';
    return { ok: false, reason: 'too_common', message: `This password is too common or easy to guess.${hint}` };
  }
  return { ok: true };
}


/** The rule a company's Masters chose (the default for an unknown company). */
export async function passwordRuleFor(db: Queryable, companyId: string): Promise<PasswordRule> {
  const policy = await getCompanyPolicy(db, companyId);
  return { minLength: policy.passwordMinLength, classes: policy.passwordClasses };
}

/** A new password checked against its company's rule, plus the common-password check. */
export async function checkPasswordForCompany(db: Queryable, companyId: string, password: string, context: string[] = []) {
  return checkNewPassword(password, context, await passwordRuleFor(db, companyId));
}

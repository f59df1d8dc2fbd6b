import type { PasswordClass, PasswordRule } from '../../api';

// Mirrors the server's rule (docs/API.md) for the live checklist; the server still
// decides, and also refuses common passwords, which cannot be checked here.
const CLASS_CHECKS: Record<PasswordClass, { label: string; test: (p: string) => boolean }> = {
  lower: { label: 'A lower-case letter', test: (p) => /\p{Ll}/u.test(p) },
  upper: { label: 'An upper-case letter', test: (p) => /\p{Lu}/u.test(p) },
  digit: { label: 'A number', test: (p) => /\p{Nd}/u.test(p) },
  // White space is no symbol, as on the server.
  symbol: { label: 'A symbol', test: (p) => /[^\p{L}\p{Nd}\s]/u.test(p) },
};

/** The seed's rule, for pages that do not know the company's (the server still checks). */
export const DEFAULT_RULE: PasswordRule = { minLength: 8, classes: ['lower', 'upper', 'digit', 'symbol'] };

export interface PasswordCheck {
  id: string;
  label: string;
  test: (password: string) => boolean;
}

/** The checklist for a rule: length first, then each required class. */
export function rulesFor(rule: PasswordRule = DEFAULT_RULE): PasswordCheck[] {
  return [
    { id: 'length', label: `At least ${rule.minLength} characters`, test: (p) => [...p].length >= rule.minLength },
    ...rule.classes.filter((id) => id in CLASS_CHECKS).map((id) => ({ id, ...CLASS_CHECKS[id] })),
  ];
}

export const passwordRules = rulesFor(DEFAULT_RULE);

export const MAX_PASSWORD_LENGTH = 1024;

export const meetsRules = (password: string, rule?: PasswordRule) => rulesFor(rule).every((check) => check.test(password));

// The composition part of the password rule, shared by the server (which decides) and
// the web app (which shows the live checklist). The server also refuses guessable
// passwords (src/credentials/password-policy.ts), which cannot be checked in a browser.

export const PASSWORD_CLASSES = ['lower', 'upper', 'digit', 'symbol'] as const;
export type PasswordClass = (typeof PASSWORD_CLASSES)[number];

/** Passwords are never trimmed; longer ones are refused before any hashing. */
export const MAX_PASSWORD_LENGTH = 1024;

/**
 * The form of a password that is checked and hashed: Unicode NFKC (NIST SP 800-63B
 * 5.1.1.2). One password can arrive as different code points: "ü" typed on one keyboard,
 * "u" and a combining diaeresis pasted from elsewhere, a fullwidth "Ｐ" from an East Asian
 * input method. Unnormalized, each spelling was another password (the person's own was
 * refused), and "Ｐａｓｓｗｏｒｄ１！" passed the common-password check that refuses
 * "Password1!".
 */
export const normalizePassword = (password: string): string => password.normalize('NFKC');

/**
 * A password's length: the code points of its NFKC form, what the rule and the hash see.
 * Not `.length`, which counts UTF-16 units (an emoji is two); not the form as typed, which
 * NFKC can lengthen many times over (one U+FDFA is 18 code points).
 */
export const passwordLength = (password: string): number => [...normalizePassword(password)].length;

/**
 * Typed longer than this (UTF-16 units), a password is over the cap whatever NFKC makes of
 * it: no composition shrinks text 4 times (three Hangul jamo make one syllable), so it is
 * refused before it is normalized. An anonymous password step once spread 63 KiB of "ﷺ"
 * into 378,000 characters before saying "too long".
 */
const TYPED_PASSWORD_LIMIT = 4 * MAX_PASSWORD_LENGTH;

/** Over the cap (MAX_PASSWORD_LENGTH): refused wherever a password is taken, before any hashing. */
export const passwordTooLong = (password: string): boolean => password.length > TYPED_PASSWORD_LIMIT || passwordLength(password) > MAX_PASSWORD_LENGTH;

/** Two typings of one password, compared as they are hashed ("passwords match", "same as current"). */
export const samePassword = (a: string, b: string): boolean => normalizePassword(a) === normalizePassword(b);

export interface PasswordRule {
  minLength: number;
  classes: PasswordClass[];
}

/** The seed's rule: 8 or more characters with a lower-case and an upper-case letter, a number and a symbol. */
export const DEFAULT_PASSWORD_RULE: PasswordRule = Object.freeze({ minLength: 8, classes: [...PASSWORD_CLASSES] });

const CLASS_CHECKS: Record<PasswordClass, { label: string; test: (p: string) => boolean }> = {
  lower: { label: 'A lower-case letter', test: (p) => /\p{Ll}/u.test(p) },
  upper: { label: 'An upper-case letter', test: (p) => /\p{Lu}/u.test(p) },
  digit: { label: 'A number', test: (p) => /\p{Nd}/u.test(p) },
  // White space is no symbol.
  symbol: { label: 'A symbol', test: (p) => /[^\p{L}\p{Nd}\s]/u.test(p) },
};

export interface PasswordCheck {
  id: string;
  label: string;
  test: (password: string) => boolean;
}

/** The checklist for a rule: length first (in code points), then each required class; each judges the normalized password. */
export function passwordRules(rule: PasswordRule = DEFAULT_PASSWORD_RULE): PasswordCheck[] {
  const checks = [
    // Code points of `p`, which the wrapper below has normalized already (passwordLength's count).
    { id: 'length', label: `At least ${rule.minLength} characters`, test: (p: string) => [...p].length >= rule.minLength },
    ...rule.classes.filter((id) => id in CLASS_CHECKS).map((id) => ({ id, ...CLASS_CHECKS[id] })),
  ];
  return checks.map((check) => ({ ...check, test: (p: string) => check.test(normalizePassword(p)) }));
}

export const meetsPasswordRule = (password: string, rule?: PasswordRule) => passwordRules(rule).every((check) => check.test(password));

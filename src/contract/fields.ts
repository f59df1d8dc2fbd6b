// The rules for each kind of input field, in one place: the server validates requests
// with them and the web app checks forms with the same schemas before sending. They are
// browser-safe (zod and src/contract only).
import { z } from 'zod';
import { invisibleCharacterProblem, tidyName, USERNAME_MAX, usernameLengthProblem, usernameProblem, usernameShapeProblem, USERNAME_SHAPE_RULE } from './name-rules.ts';
import { MAX_PASSWORD_LENGTH, passwordTooLong } from './password-rules.ts';

/**
 * No request field takes control characters (C0, DEL, C1): they mean nothing in a name, a
 * filter or a URL, and PostgreSQL text cannot even hold NUL (it refuses the statement).
 * Every text a request carries goes through one of these two tests (test/http/nul-input.test.ts
 * holds every route's fields to it); multi-line text keeps its tabs and line breaks.
 */
export const isSingleLine = (value: string) => !/\p{Cc}/u.test(value);
export const isMultiline = (value: string) => !/[^\P{Cc}\t\n\r]/u.test(value);

/**
 * An id a request names: a UUID in either case, as RFC 9562 §4 asks UUIDs to be read (an
 * integration keeping ids in a store that prints them in capitals), lowercased as ids are
 * stored and compared. Every id a request carries takes this shape
 * (test/http/request-ids-any-case.test.ts walks every route's fields).
 */
export const anId = (params?: Parameters<typeof z.uuid>[0]) => z.uuid(params).toLowerCase();

/** A required single-line text field: trimmed, bounded, no control characters (C0, DEL, C1). */
export function text(label: string, max: number, min = 1) {
  return bounded(z.string({ error: `${label} is required.` }).trim(), label, max, min);
}

function bounded(field: z.ZodString, label: string, max: number, min: number) {
  return field
    .min(min, min === 1 ? `${label} is required.` : `${label} needs at least ${min} characters.`)
    // Too long is the answer; the later rules (a name's read every character) are not run on it.
    .max(max, { message: `${label} can have at most ${max} characters.`, abort: true })
    .refine(isSingleLine, `${label} contains characters that are not allowed.`);
}

/**
 * How long a name may be as typed (UTF-16 units), refused before anything reads it. A
 * name's own bound is on its saved form, which NFKC may make longer ("ﷺ" is 18 characters)
 * or shorter (a letter and its combining marks are one), and the name rules and keys cost
 * per saved character (each is tested against dozens of scripts, spelled twice): unbounded,
 * one bulk-invite file of 256 KiB of "ﷺ" as a username kept the node busy for five seconds.
 * Four units per character allowed leaves room for any decomposed typing of a name that fits.
 */
export const typedLimit = (max: number) => 4 * max;

/**
 * A name that identifies a company or a person (company, contact and display names):
 * tidied first (tidyName: NFKC, trimmed, spaces collapsed), so its bounds and the refusal
 * of invisible and formatting characters judge the name as it is saved, and the value
 * passed on is that saved form ("ﷺ" is 18 characters saved, "ⁱ" with a dot above "i̇").
 */
export function name(label: string, max: number, min = 1) {
  const typed = z.string({ error: `${label} is required.` }).max(typedLimit(max), { message: `${label} can have at most ${max} characters.`, abort: true });
  return bounded(typed.overwrite(tidyName), label, max, min).superRefine((value, ctx) => {
    const problem = invisibleCharacterProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: `${label} ${problem}` });
  });
}

/**
 * Usernames: 2-64 letters, digits and . _ @ -, visible, of one script (name-rules.ts),
 * judged as saved and passed on as saved (tidyName), like names: "bob⑴" is "bob(1)" and
 * refused. The rules are given the typed value (they tidy it) to say what it became. The
 * length comes first, typed then saved, so the costlier rules only ever read 64 characters.
 */
export const username = z
  .string({ error: 'Username is required.' })
  .max(typedLimit(USERNAME_MAX), { message: USERNAME_SHAPE_RULE, abort: true })
  .superRefine((value, ctx) => {
    const problem = usernameLengthProblem(value) ?? usernameProblem(value) ?? usernameShapeProblem(value);
    // A refused username is not tidied too (the overwrite below): nothing more reads it.
    if (problem) ctx.addIssue({ code: 'custom', message: problem, continue: false });
  })
  .overwrite(tidyName);

/**
 * An optional multi-line text field (a note): trimmed, bounded, line breaks and tabs
 * allowed, other control characters refused (PostgreSQL text cannot even hold NUL).
 */
export function multilineText(label: string, max: number) {
  return z
    .string({ error: `${label} must be text.` })
    .trim()
    .max(max, `${label} can have at most ${max} characters.`)
    .refine(isMultiline, `${label} contains characters that are not allowed.`)
    .optional();
}

/**
 * "500000" as "500,000". Not `toLocaleString('en')`: the schemas are built as a node starts,
 * and V8's first number format loads ICU's number and currency data, about 1 MiB of every
 * idle node's memory for two messages (docs/PERFORMANCE-LOG.md, twenty-second pass).
 */
const withThousands = (count: number) => String(count).replace(/\B(?=(\d{3})+$)/g, ',');

/**
 * A file's text as it came (a CSV file, XML metadata, a PEM certificate): not trimmed,
 * bounded, tabs and line breaks allowed, other control characters refused.
 */
export function fileText(label: string, max: number, notText = `${label} must be text.`) {
  return z
    .string({ error: notText })
    .max(max, `${label} can have at most ${withThousands(max)} characters.`)
    .refine(isMultiline, `${label} contains characters that are not allowed.`);
}

export const email = z
  .string({ error: 'Email is required.' })
  .trim()
  .max(254, 'Email can have at most 254 characters.')
  .pipe(z.email({ error: 'Enter a valid email address.' }));

export const phone = z
  .string({ error: 'Phone is required.' })
  .trim()
  .regex(/^\+?[0-9 ()./-]{5,32}$/, 'Enter a valid phone number.');

/** Passwords are never trimmed; the length cap is applied before any hashing. */
export const password = (label = 'Password') =>
  z
    .string({ error: `${label} is required.` })
    .min(1, `${label} is required.`)
    .refine((value) => !passwordTooLong(value), `${label} can have at most ${MAX_PASSWORD_LENGTH} characters.`);

/**
 * A code as a person typed it, in the characters the checks read: full-width and other
 * compatibility forms made plain (NFKC, as passwords are: an East Asian keyboard types
 * "１２３"), the digits of any script made ASCII (an Arabic keyboard types "١٢٣"), and every
 * dash (U+2010 to U+2015, the minus sign) made "-". Unicode encodes each script's digits
 * as a run of ten from its zero, which is how a digit's value is read here.
 */
export function typedCode(value: string): string {
  return value
    .normalize('NFKC')
    .replace(/[\u2010-\u2015\u2212]/gu, '-')
    .replace(/\p{Nd}/gu, (digit) => {
      if (digit >= '0' && digit <= '9') return digit;
      const at = digit.codePointAt(0) as number;
      let zero = at;
      while (at - zero < 9 && /\p{Nd}/u.test(String.fromCodePoint(zero - 1))) zero -= 1;
      return String(at - zero);
    });
}

export const totpCode = z
  .string({ error: 'Enter the 6-digit code.' })
  .transform((value) => typedCode(value).replace(/\s+/g, ''))
  .pipe(z.string().regex(/^\d{6}$/, 'Enter the 6-digit code from your authenticator app.'));

/**
 * Only a module sign-in may be continued after login (its resume, /oidc/auth/<uid>, or
 * where the login returned before: /oidc-interaction/<uid>): never an open redirect.
 */
export const RETURN_TO_PATTERN = /^\/(?:oidc\/auth|oidc-interaction)\/[A-Za-z0-9_-]{1,64}$/;

/**
 * On a module sign-in's login page (?return=): the sign-in's gate sent a browser that IS
 * signed in, because its session will not do for this sign-in (max_age, prompt=login, a
 * key asked for). Without it the page may go on with a session another tab made since;
 * with it, never (it would be sent straight back).
 */
export const LOGIN_AGAIN_PARAM = 'again';

/** What people type, in any case with spaces or dashes anywhere; undefined if it cannot be a recovery code. */
export function normalizeRecoveryCode(input: string): string | undefined {
  const compact = typedCode(input).toLowerCase().replace(/[\s-]+/g, '');
  return /^[a-z2-7]{10}$/.test(compact) ? compact : undefined;
}

export const recoveryCode = z
  .string({ error: 'Enter one of your recovery codes.' })
  .max(64, 'Enter one of your recovery codes.')
  .refine((value) => normalizeRecoveryCode(value) !== undefined, 'A recovery code looks like abcd-efgh-23.');

// Names that identify a tenant or a user, compared as people see them: one key per name,
// each character written as its class of look-alikes and case partners
// (src/shared/look-alike-classes.ts), so "Αcme" (Greek Alpha), "rооt" (Cyrillic o) and
// "ACME ClﻪꞟᏧ" are the names they imitate. What a name may contain at all (visible
// characters, one script) is checked by src/contract/name-rules.ts first.
// See docs/SECURITY.md.
import { INVISIBLE, tidyName } from '../contract/name-rules.ts';
import { spellingOf } from './look-alike-classes.ts';

// The rules a name must pass (visible characters, one script) and the form it is saved in
// (tidyName) live with the contract, where the web app reads them too; this file keeps
// the key names are compared by.
export { companyNameWarning, invisibleCharacterProblem, mixedScriptWord, tidyName, usernameProblem } from '../contract/name-rules.ts';

const INVISIBLE_ALL = new RegExp(INVISIBLE.source, 'gu');

let spacingAccents: Map<string, string> | undefined;

/**
 * NFKC writes a spacing accent as a space and the combining mark ("´" is a space and an
 * acute, "ͺ" a space and a subscript iota), which is drawn as that accent: the key reads
 * the pair as the accent, whose look-alikes are listed ("nadͺa" is nadia however saved).
 */
function asSpacingAccents(value: string): string {
  if (!/ \p{M}/u.test(value)) return value;
  spacingAccents ??= spacingAccentsByDecomposition();
  const accents = spacingAccents;
  return value.replace(/ \p{M}+/gu, (pair) => accents.get(pair) ?? pair);
}

function spacingAccentsByDecomposition(): Map<string, string> {
  const accents = new Map<string, string>();
  for (let code = 0xa0; code <= 0x2ffff; code += 1) {
    const char = String.fromCodePoint(code);
    const written = char.normalize('NFKC');
    if (written !== char && /^ \p{M}+$/u.test(written) && !accents.has(written)) accents.set(written, char);
  }
  return accents;
}

/** UTS #39's skeleton, with classes for prototypes: NFD, each character spelled, NFD; twice, as a spelling may spell on ("M" -> "rn"). */
function skeleton(value: string): string {
  let out = asSpacingAccents(value);
  for (let pass = 0; pass < 2; pass += 1) out = Array.from(out.normalize('NFD'), spellingOf).join('');
  return out.normalize('NFD');
}

/**
 * The lookup and uniqueness key for company names, usernames and group names: the key of
 * the name as it is saved and shown (tidyName, so NFKC first), invisible characters
 * dropped, the skeleton taken, then NFKC again (a spelling may be a compatibility form)
 * and the skeleton again, spacing collapsed. Keying any other form would let a character
 * that NFKC makes a plain letter ("ᴾ" is P, "ᶻ" z) key as some other class while the row
 * shows the letter: a second, identical "Payroll". Login finds names by it, so people
 * type the name as they know it, in any case. nameKey(x) is nameKey(tidyName(x)).
 */
export function nameKey(value: string): string {
  const visible = tidyName(value).replace(INVISIBLE_ALL, '');
  return skeleton(skeleton(visible).normalize('NFKC').replace(INVISIBLE_ALL, '')).trim().replace(/\s+/gu, ' ');
}

/**
 * The key before migration 0008: only case and spacing ignored. Rows whose names
 * collided when keys became confusable-aware keep it behind LEGACY_KEY_MARK, so their
 * users still log in by typing the name exactly as before.
 */
export function legacyNameKey(value: string): string {
  return value.normalize('NFKC').trim().replace(/\s+/gu, ' ').toLowerCase();
}

/** Capitals never survive nameKey, so a marked key cannot equal a current one. */
export const LEGACY_KEY_MARK = 'LEGACY:';

/**
 * The second key: the key of the saved name case-folded (caseFolded). nameKey leaves out
 * the few case links that would make two Latin letters one (src/shared/look-alike-classes.ts):
 * Cyrillic "г" looks like r and its capital "Г" does not, Greek "ν" like v and "Ν" like N.
 * Case-folded first, names that differ only by case meet again ("ГОША" is "гоша"). A name
 * is taken when either key is (each has its unique index), and login finds it by either.
 * The name is tidied before folding, as folding "ᴾ" leaves it while its saved form P folds.
 */
export function caseKey(value: string): string {
  return nameKey(caseFolded(tidyName(value)));
}

const DOTLESS_I = '\u0131';

/**
 * Full case folding (CaseFolding.txt, statuses C and F; JavaScript has none), character
 * by character so no context (final sigma) enters: small, in capitals, small again ("ſ"
 * is s, "ς" σ, "ß" and "ẞ" ss, "İ" i + dot). A scan of every code point against
 * \p{Changes_When_Casefolded} and the /iu simple folding (Unicode 17, test/names/
 * case-folding.test.ts) finds that chain to be C+F folding except for dotless "ı", whose
 * capital is I: only Turkic folding (status T) joins it to i, and the chain would make an
 * identity provider's "admın" the user "admin" (src/sso/sign-in.ts). Cherokee comes out
 * small where CaseFolding.txt writes capitals: the same classes, so the same names meet.
 */
export function caseFolded(value: string): string {
  return Array.from(value, (char) => (char === DOTLESS_I ? char : char.toLowerCase().toUpperCase().toLowerCase())).join('');
}

/** What a typed name is looked up by: its two keys, and the flagged key of a row kept from before. */
export interface NameLookup {
  key: string;
  caseKey: string;
  legacy: string;
}

export function nameLookup(name: string): NameLookup {
  return { key: nameKey(name), caseKey: caseKey(name), legacy: LEGACY_KEY_MARK + legacyNameKey(name) };
}

/**
 * Of the rows a name found, the one it names: a row kept under its old key answers to its
 * exact name first (its key-holding look-alike is found by every other spelling), then
 * the row with its key, then the row with its case key.
 */
export function namedRow<T>(rows: readonly T[], lookup: NameLookup, keyOf: (row: T) => string | null): T | undefined {
  return rows.find((row) => keyOf(row) === lookup.legacy) ?? rows.find((row) => keyOf(row) === lookup.key) ?? rows[0];
}

// Names that identify a tenant or a user, compared as people see them: one key per name,
// each character written as its class of look-alikes and case partners
// (src/shared/look-alike-classes.ts), so "Αcme" (Greek Alpha), "rооt" (Cyrillic o) and
// "ACME ClﻪꞟᏧ" are the names they imitate. What a name may contain at all (visible
// characters, one script) is checked by src/contract/name-rules.ts first.
// See docs/SECURITY.md.
import { INVISIBLE } from '../contract/name-rules.ts';
import { spellingOf } from './look-alike-classes.ts';

// The rules a name must pass (visible characters, one script) live with the contract,
// where the web app reads them too; this file keeps the key names are compared by.
export { companyNameWarning, invisibleCharacterProblem, mixedScriptWord, usernameProblem } from '../contract/name-rules.ts';

const INVISIBLE_ALL = new RegExp(INVISIBLE.source, 'gu');

/** UTS #39's skeleton, with classes for prototypes: NFD, each character spelled, NFD; twice, as a spelling may spell on ("M" -> "rn"). */
function skeleton(value: string): string {
  let out = value;
  for (let pass = 0; pass < 2; pass += 1) out = Array.from(out.normalize('NFD'), spellingOf).join('');
  return out.normalize('NFD');
}

/**
 * The lookup and uniqueness key for company names, usernames and group names:
 * invisible characters dropped, the skeleton taken, then NFKC (full-width and other
 * compatibility forms confusables.txt does not list) and the skeleton again, spacing
 * collapsed. The skeleton comes first because NFKC turns some look-alikes into letters
 * that no longer look alike ("Ϲ", a C, would become "Σ"). Login finds names by it, so
 * people type the name as they know it, in any case.
 */
export function nameKey(value: string): string {
  const visible = value.replace(INVISIBLE_ALL, '');
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
 * The second key: the key of the name case-folded (small, in capitals, small again, so that
 * long "ſ" is s, final "ς" is σ, and "ß" and "ẞ" are ss: JavaScript has no case folding). nameKey leaves out the few case links that
 * would make two Latin letters one (src/shared/look-alike-classes.ts): Cyrillic "г" looks
 * like r and its capital "Г" does not, Greek "ν" like v and "Ν" like N. Case-folded first,
 * names that differ only by case meet again ("ГОША" is "гоша"). A name is taken when
 * either key is (each has its unique index), and login finds it by either.
 */
export function caseKey(value: string): string {
  return nameKey(caseFolded(value));
}

/** Small, in capitals, small again: JavaScript's nearest to case folding ("ſ" is s, "ß" ss). */
export function caseFolded(value: string): string {
  return value.toLowerCase().toUpperCase().toLowerCase();
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

/** Collapses runs of whitespace and trims, keeping the case the person chose. */
export function tidyName(value: string): string {
  return value.normalize('NFKC').trim().replace(/\s+/gu, ' ');
}

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

/** The keys a typed name is looked up by: its key, and the flagged key of a row kept from before. */
export function lookupKeys(name: string): [string, string] {
  return [nameKey(name), LEGACY_KEY_MARK + legacyNameKey(name)];
}

/**
 * Of the rows a name found, the one it names: a row kept under its old key answers to its
 * exact name first (its key-holding look-alike is found by every other spelling).
 */
export function namedRow<T>(rows: readonly T[], keyOf: (row: T) => string): T | undefined {
  return rows.find((row) => keyOf(row).startsWith(LEGACY_KEY_MARK)) ?? rows[0];
}

/** Collapses runs of whitespace and trims, keeping the case the person chose. */
export function tidyName(value: string): string {
  return value.normalize('NFKC').trim().replace(/\s+/gu, ' ');
}

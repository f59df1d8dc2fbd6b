// Names that identify a tenant or a user, compared as people see them: the uniqueness
// key is the Unicode UTS #39 skeleton of the case-folded NFKC form, so "Αcme" (Greek
// Alpha) and "rооt" (Cyrillic o) are the names they imitate. What a name may contain at
// all (visible characters, one script) is checked by src/contract/name-rules.ts first.
// See docs/SECURITY.md.
import { createRequire } from 'node:module';
import { INVISIBLE } from '../contract/name-rules.ts';

// The rules a name must pass (visible characters, one script) live with the contract,
// where the web app reads them too; this file keeps the keys names are compared by.
export { companyNameWarning, invisibleCharacterProblem, mixedScriptWord, usernameProblem } from '../contract/name-rules.ts';

const INVISIBLE_ALL = new RegExp(INVISIBLE.source, 'gu');

/** Unicode's confusables.txt as unhomoglyph ships it: character -> prototype. */
const PROTOTYPES = new Map(Object.entries(createRequire(import.meta.url)('unhomoglyph/data.json') as Record<string, string>));

/** A character's confusable prototype, small: Unicode maps "Α" (Greek) and "A" alike. */
const prototypeOf = (char: string) => (PROTOTYPES.get(char) ?? char).toLowerCase();

/** UTS #39 skeleton: NFD, each character to its prototype, NFD; twice, as a prototype's small form may map on ("M" -> "m" -> "rn"). */
function skeleton(value: string, fold: (char: string) => string): string {
  let out = value;
  for (let pass = 0; pass < 2; pass += 1) out = Array.from(out.normalize('NFD'), fold).join('');
  return out.normalize('NFD');
}

/**
 * Invisible characters dropped, the skeleton taken, then NFKC (full-width and other
 * compatibility forms confusables.txt does not list) and the skeleton again, spacing
 * collapsed. The skeleton comes first because NFKC turns some look-alikes into letters
 * that no longer look alike ("Ϲ", a C, would become "Σ").
 */
function keyOf(value: string, fold: (char: string) => string): string {
  const visible = value.replace(INVISIBLE_ALL, '');
  return skeleton(skeleton(visible, fold).normalize('NFKC').replace(INVISIBLE_ALL, ''), fold).trim().replace(/\s+/gu, ' ');
}

/**
 * The lookup key for company names and usernames, case-insensitive: each character
 * lower-cased, then mapped to its prototype ("ΑCME", "acme" and "аcmе" are one name).
 * Login finds names by it, so people type the name as they know it.
 */
export function nameKey(value: string): string {
  return keyOf(value, (char) => prototypeOf(char.toLowerCase()));
}

/**
 * The second uniqueness key: the name as it looks in capitals, each character mapped as
 * written, then lower-cased. Case folding and confusability disagree for some letters
 * (capital "I" looks like "l", small "i" does not, so "NADlA" imitates "nadia"; Cherokee
 * "Ꮮ" looks like "L", its small form does not), so no one key can hold both; a name is
 * taken when either key is. Stored as look_key.
 */
export function lookAlikeKey(value: string): string {
  return keyOf(value.toUpperCase(), prototypeOf);
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

/** Collapses runs of whitespace and trims, keeping the case the person chose. */
export function tidyName(value: string): string {
  return value.normalize('NFKC').trim().replace(/\s+/gu, ' ');
}

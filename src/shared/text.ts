// Names that identify a tenant or a user, compared as people see them. Three rules, one
// place: (1) a name may not hold characters that render as nothing or reorder or join
// their neighbours (default-ignorable, format and control characters), so two names
// cannot look alike while differing in something invisible; (2) the uniqueness key is
// the Unicode UTS #39 skeleton of the case-folded NFKC form, so "Αcme" (Greek Alpha)
// and "rооt" (Cyrillic o) are the names they imitate; (3) a word mixing scripts that
// are not normally written together (Latin with Cyrillic or Greek) is refused for
// usernames and flagged to the operator for company names. See docs/SECURITY.md.
import { createRequire } from 'node:module';

/**
 * Default_Ignorable_Code_Point (soft hyphen, zero-width space/joiner/non-joiner, word
 * joiner, Hangul fillers, combining grapheme joiner, Mongolian vowel separator,
 * variation selectors, tag characters, ...), format characters (bidi controls, LRM/RLM,
 * BOM), controls, private-use, surrogates and unassigned code points, and the blank
 * braille pattern, which renders as a space without being one.
 */
const INVISIBLE = /[\p{Default_Ignorable_Code_Point}\p{Cf}\p{Cc}\p{Co}\p{Cs}\p{Cn}\u2028\u2029\u2800]/u;
const INVISIBLE_ALL = new RegExp(INVISIBLE.source, 'gu');

/** Why a name cannot be used as typed; undefined when it can. */
export function invisibleCharacterProblem(value: string): string | undefined {
  const found = INVISIBLE.exec(value.normalize('NFKC'));
  if (!found) return undefined;
  const code = (found[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0');
  return `contains an invisible or formatting character (U+${code}); type the name with visible characters only.`;
}

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

const SCRIPTS = [
  'Latin', 'Greek', 'Cyrillic', 'Armenian', 'Georgian', 'Cherokee', 'Coptic', 'Hebrew', 'Arabic', 'Syriac',
  'Thaana', 'Devanagari', 'Bengali', 'Gurmukhi', 'Gujarati', 'Tamil', 'Telugu', 'Kannada', 'Malayalam',
  'Sinhala', 'Thai', 'Lao', 'Tibetan', 'Myanmar', 'Khmer', 'Mongolian', 'Ethiopic', 'Han', 'Hiragana',
  'Katakana', 'Bopomofo', 'Hangul', 'Canadian_Aboriginal', 'Runic', 'Ogham', 'Tifinagh', 'Vai', 'Lisu',
] as const;
const SCRIPT_TESTS = SCRIPTS.map((script) => [script, new RegExp(`\\p{Script=${script}}`, 'u')] as const);
/** UTS #39 "highly restrictive": the only mixtures that are ordinary writing. */
const ALLOWED_MIXES = [
  new Set(['Latin', 'Han', 'Hiragana', 'Katakana']),
  new Set(['Latin', 'Han', 'Bopomofo']),
  new Set(['Latin', 'Han', 'Hangul']),
];

function scriptsOf(word: string): Set<string> {
  const scripts = new Set<string>();
  for (const char of word) {
    if (!/\p{L}|\p{M}/u.test(char)) continue; // digits, punctuation: Common
    const found = SCRIPT_TESTS.find(([, test]) => test.test(char));
    if (found) scripts.add(found[0]);
    else if (!/\p{Script=Common}|\p{Script=Inherited}/u.test(char)) scripts.add('Other');
  }
  return scripts;
}

/**
 * The first word (split at spaces) that mixes scripts not normally written together,
 * with the scripts it mixes; undefined when every word is written in one.
 */
export function mixedScriptWord(value: string): { word: string; scripts: string[] } | undefined {
  for (const word of value.normalize('NFKC').split(/\s+/u)) {
    const scripts = scriptsOf(word);
    if (scripts.size <= 1 || ALLOWED_MIXES.some((mix) => [...scripts].every((s) => mix.has(s)))) continue;
    return { word, scripts: [...scripts] };
  }
  return undefined;
}

/** What the operator sees next to a company name that may imitate another; null when none. */
export function companyNameWarning(name: string): string | null {
  const mixed = mixedScriptWord(name);
  if (!mixed) return null;
  return `"${mixed.word}" mixes ${mixed.scripts.join(' and ')} letters in one word: the name may imitate another company's.`;
}

/**
 * Why a username cannot be used; undefined when it can. Usernames are one word: no
 * invisible characters, and letters from one script (or an ordinary mixture).
 */
export function usernameProblem(value: string): string | undefined {
  const invisible = invisibleCharacterProblem(value);
  if (invisible) return `Username ${invisible}`;
  const mixed = mixedScriptWord(value.replace(/[\s._@-]+/gu, ''));
  if (mixed) return `Username mixes ${mixed.scripts.join(' and ')} letters; use letters of one alphabet.`;
  return undefined;
}

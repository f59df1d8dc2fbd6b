// The rules a name must pass before it is stored, browser-safe so the web app checks the
// same thing as the server: (1) no characters that render as nothing or reorder or join
// their neighbours (default-ignorable, format and control characters), so two names
// cannot look alike while differing in something invisible; (2) a word mixing scripts
// that are not normally written together (Latin with Cyrillic or Greek) is refused for
// usernames and flagged to the operator for company names. Every rule judges the name as
// it is saved (tidyName: NFKC can turn a character the rule allows into ones it refuses,
// "⑴" into "(1)", "ⁱ" + a dot above into "i̇"). The uniqueness keys names are compared by
// live in src/shared/text.ts. See docs/SECURITY.md.

/**
 * A name as it is saved and shown: NFKC (compatibility forms become the letters they
 * display), trimmed, each run of spaces one space, in the case the person chose. Only
 * visible spacing is collapsed: a character JavaScript counts as white space but no one
 * sees (a BOM, a tab, a line separator) stays for the name checks to refuse and nameKey
 * to drop with the other invisible ones, so that "Umbr<BOM>ella" keys as "Umbrella".
 * tidyName(tidyName(x)) is tidyName(x) (test/names/saved-form-rules.test.ts).
 */
export function tidyName(value: string): string {
  return value.normalize('NFKC').trim().replace(/\p{Zs}+/gu, ' ');
}

/**
 * Default_Ignorable_Code_Point (soft hyphen, zero-width space/joiner/non-joiner, word
 * joiner, Hangul fillers, combining grapheme joiner, Mongolian vowel separator,
 * variation selectors, tag characters, ...), format characters (bidi controls, LRM/RLM,
 * BOM), controls, private-use, surrogates and unassigned code points; and the characters
 * of no other class that draw nothing: the blank braille pattern (a space without being
 * one), the musical null notehead (an empty glyph) and the Khitan small script filler (a
 * nonspacing mark with no glyph, outside the class: a mark there reads as joined to the
 * character before it). Names are keyed without them (nameKey); migration 0031 keyed
 * again the names saved before the last two were listed.
 */
export const INVISIBLE = /[\p{Default_Ignorable_Code_Point}\p{Cf}\p{Cc}\p{Co}\p{Cs}\p{Cn}\u2028\u2029\u2800\u{1D159}]|\u{16FE4}/u;

/**
 * Marks a reader cannot see (UTS #39 §5.4): a dot above on a small letter that has a dot
 * of its own, or on a dotless i or j, where it draws one ("ı̇" reads as "i", and its key
 * would not be i's); and the same mark twice in a row, which looks like once.
 */
const HIDDEN_MARK = /[ijıȷіјɨʝ]\p{Mn}*\u0307|(\p{Mn})\1/u;

/** Why a name cannot be used as it would be saved (tidyName); undefined when it can. */
export function invisibleCharacterProblem(value: string): string | undefined {
  const saved = tidyName(value);
  const found = INVISIBLE.exec(saved);
  if (found) {
    const code = (found[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0');
    return `contains an invisible or formatting character (U+${code}); type the name with visible characters only.`;
  }
  const hidden = HIDDEN_MARK.exec(saved.normalize('NFD'));
  if (hidden) {
    const mark = [...hidden[0]].at(-1) ?? '';
    const code = (mark.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0');
    return `contains a mark that cannot be seen on its letter (U+${code}); type the name with visible characters only.`;
  }
  return undefined;
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
  for (const word of tidyName(value).split(/\s+/u)) {
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

export const USERNAME_MAX = 64;
const USERNAME_SHAPE = /^[\p{L}\p{N}._@-]{2,64}$/u;
export const USERNAME_SHAPE_RULE = 'Use 2-64 letters, digits, dots, dashes, underscores or @.';

/** Whether `value` has more than `max` code points, counting no further than that. */
function longerThan(value: string, max: number): boolean {
  if (value.length <= max) return false;
  let count = 0;
  for (const _ of value) if (++count > max) return true;
  return false;
}

/**
 * The username's length as it would be saved, alone: checked before the other rules, whose
 * cost grows with each character (every letter is tested against dozens of scripts). Its
 * spaces are not collapsed first: a username has none, so one that is too long only for
 * its spaces is refused by the same rule anyway.
 */
export function usernameLengthProblem(value: string): string | undefined {
  return longerThan(value.normalize('NFKC').trim(), USERNAME_MAX) ? USERNAME_SHAPE_RULE : undefined;
}

/**
 * Why a new username does not have the username shape as it would be saved; undefined
 * when it does. When typing differs from the saved form ("bob⑴" is saved "bob(1)", "가"
 * as one letter), the message shows it (if short and visible): what was refused.
 */
export function usernameShapeProblem(value: string): string | undefined {
  const saved = tidyName(value);
  if (USERNAME_SHAPE.test(saved)) return undefined;
  if (saved === value.trim() || longerThan(saved, USERNAME_MAX) || INVISIBLE.test(saved)) return USERNAME_SHAPE_RULE;
  return `${USERNAME_SHAPE_RULE} As it would be saved, the username is "${saved}".`;
}

/**
 * Why a username cannot be used as it would be saved (tidyName); undefined when it can.
 * Usernames are one word: no invisible characters, and letters from one script (or an
 * ordinary mixture). Its shape is usernameShapeProblem's, for new usernames only.
 */
export function usernameProblem(value: string): string | undefined {
  const invisible = invisibleCharacterProblem(value);
  if (invisible) return `Username ${invisible}`;
  const mixed = mixedScriptWord(tidyName(value).replace(/[\s._@-]+/gu, ''));
  if (mixed) return `Username mixes ${mixed.scripts.join(' and ')} letters; use letters of one alphabet.`;
  return undefined;
}

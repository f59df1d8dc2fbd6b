// caseFolded is Unicode's full case folding (CaseFolding.txt, statuses C and F) without the
// Turkic mappings (status T): dotless "ı" stays ı, so an identity provider's "admın" is not
// the user "admin" (src/sso/sign-in.ts compares names case-folded). Checked over every code
// point against what the engine knows of case folding: \p{Changes_When_Casefolded} and the
// simple folding that /iu regular expressions use.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { caseFolded, caseKey, nameKey, tidyName } from '../../src/shared/text.ts';

const CHANGES_WHEN_CASEFOLDED = /^\p{Changes_When_Casefolded}$/u;
const CHEROKEE = /^\p{Script=Cherokee}$/u;
const hex = (text: string) => [...text].map((c) => `U+${c.codePointAt(0)!.toString(16).toUpperCase()}`).join(' ');
const sameBySimpleFolding = (a: string, b: string) => new RegExp(`^${a.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&')}$`, 'iu').test(b);

describe('case folding', () => {
  test('dotless ı folds to itself, not to i (Turkic only), however it is written', () => {
    for (const dotless of ['adm\u0131n', 'ADM\u0131N', 'adm\u{1D6A4}n' /* mathematical italic dotless i: saved as ı */]) {
      assert.notEqual(caseFolded(tidyName(dotless)), caseFolded('admin'), dotless);
    }
    assert.equal(caseFolded('\u0131'), '\u0131');
    assert.equal(caseFolded('I'), 'i');
    assert.equal(caseFolded('\u0130'), 'i\u0307', 'capital I with dot: i and a combining dot (status F)');
    // Still one name by look-alikes: "admın" is taken once "admin" is.
    assert.equal(nameKey('adm\u0131n'), nameKey('admin'));
    assert.equal(caseKey('ADM\u0131N'), caseKey('admin'));
  });

  test('the full foldings (status F) and the context-free ones', () => {
    const folds: [string, string][] = [
      ['Maße', 'masse'], ['MASSE', 'masse'], ['\u1E9E', 'ss'], ['\u0149', '\u02BCn'], ['\uFB00', 'ff'], ['\u0390', '\u03B9\u0308\u0301'],
      ['\u1F88', '\u1F00\u03B9'], ['\u017F', 's'], ['\u212A', 'k'], ['\u2126', '\u03C9'], ['\u01C5', '\u01C6'],
      // Folding has no context: a final sigma is σ wherever it stands.
      ['ΟΔΟΣ', 'οδοσ'], ['οδος', 'οδοσ'], ['ΟΔΟΣ ΟΔΟΣ', 'οδοσ οδοσ'],
    ];
    for (const [text, folded] of folds) assert.equal(caseFolded(text), folded, `${text} (${hex(text)})`);
  });

  test('every code point: folded exactly when Unicode says case folding changes it, to its simple folding where that is one character', () => {
    const wrong: string[] = [];
    for (let code = 0; code <= 0x10ffff; code += 1) {
      if (code >= 0xd800 && code <= 0xdfff) continue;
      const char = String.fromCodePoint(code);
      const folded = caseFolded(char);
      // Cherokee folds to its capitals in CaseFolding.txt and to its small letters here:
      // the same pairs meet either way (checked below).
      if (CHEROKEE.test(char)) continue;
      // A full folding that equals the character's canonical decomposition ("ǰ" is j and a
      // caron) does not count as a change for Changes_When_Casefolded, which compares NFD forms.
      const changes = folded !== char && folded !== char.normalize('NFD');
      if (changes !== CHANGES_WHEN_CASEFOLDED.test(char)) wrong.push(`${hex(char)} -> ${hex(folded)}`);
      else if (changes && [...folded].length === 1 && !sameBySimpleFolding(char, folded)) wrong.push(`${hex(char)} -> ${hex(folded)} (simple folding differs)`);
      else if (caseFolded(folded) !== folded) wrong.push(`${hex(char)} -> ${hex(folded)} (folds again)`);
    }
    assert.deepEqual(wrong, []);
  });

  test('Cherokee small and capital letters fold together', () => {
    for (let code = 0x13a0; code <= 0x13fd; code += 1) {
      const capital = String.fromCodePoint(code);
      const small = capital.toLowerCase();
      if (small !== capital) assert.equal(caseFolded(small), caseFolded(capital), hex(capital));
    }
  });
});

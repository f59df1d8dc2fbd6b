// A name is keyed as it is saved and shown: tidyName (NFKC, spacing) first. Keyed as typed,
// a character NFKC makes a plain letter ("ᴾ" is P, "ᶻ" z) was keyed as another class than
// the letter the row then showed, so a second "Payroll" or "zed" could be saved beside the
// first. The keys of any text are those of its saved form: over random text, over every
// code point from U+0020 to U+2FFFF, and over the characters that were keyed apart.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { caseKey, nameKey, tidyName } from '../../src/shared/text.ts';
import { INVISIBLES } from '../helpers/look-alikes.ts';

/** Each saved (left) beside what was typed to imitate it (right), keyed apart before. */
const TWINS = [
  ['zed', '\u1DBBed'], // modifier small z
  ['Payroll', '\u1D3Eayroll'], // modifier capital P
  ['Acme Partners', 'Acme \u1D3Eartners'],
  ['Acme 100% Cloud', 'Acme 100\uFE6A Cloud'], // small percent sign
  ['Acme (North)', 'Acme \uFE35North\uFE36'], // vertical parentheses
  ['R&D [Labs]', 'R&D \uFF3BLabs\uFF3D'], // full-width brackets
  ['Σloud', '\u03F9loud'], // lunate sigma: saved and shown as Σ
  ['Caf\u00E9 \u0301', 'Caf\u00E9 \u00B4'], // spacing acute: a space and the combining acute
  ['\u0623\u062D\u0645\u062F', '\uFE83\u062D\u0645\u062F'], // Arabic alef with hamza, presentation form
  ['\u043F\u043E\u0434\u044A\u0435\u0437\u0434', '\u043F\u043E\u0434\uA69C\u0435\u0437\u0434'], // Cyrillic modifier hard sign
  ['safe', '\u017Fafe'], // long s
] as const;

const keyedAsSaved = (text: string) => {
  const saved = tidyName(text);
  assert.equal(nameKey(text), nameKey(saved), `nameKey of ${JSON.stringify(text)} is that of its saved form ${JSON.stringify(saved)}`);
  assert.equal(caseKey(text), caseKey(saved), `caseKey of ${JSON.stringify(text)} is that of its saved form ${JSON.stringify(saved)}`);
};

describe('a name is keyed as it is saved', () => {
  test('each imitation is saved as the name it imitates, and has its keys', () => {
    for (const [name, typed] of TWINS) {
      assert.equal(tidyName(typed), name);
      assert.equal(nameKey(typed), nameKey(name), typed);
      assert.equal(caseKey(typed), caseKey(name), typed);
      assert.equal(caseKey(typed.toUpperCase()), caseKey(name), `${typed} in capitals`);
    }
  });

  test('a spacing accent, saved as a space and its combining mark, is keyed as the accent it is drawn as', () => {
    assert.equal(tidyName('nad\u037Aa'), 'nad \u0345a');
    assert.equal(nameKey('nad\u037Aa'), nameKey('nadia'), 'ypogegrammeni looks like i');
    assert.equal(nameKey('nad \u0345a'), nameKey('nadia'));
    for (const accent of ['\u00B4', '\u02DC', '\u00B8', '\u02DD', '\u1FC0']) assert.equal(nameKey(`a${accent}b`), nameKey(`a${accent.normalize('NFKC')}b`), accent);
  });

  test('any text has the keys of its saved form', () => {
    const twinChars = [...new Set(TWINS.flatMap(([, typed]) => [...typed]))];
    const built = fc.array(fc.constantFrom(...twinChars, ...INVISIBLES, ' ', '\t', '\u00A0', '\u3000', 'ſ', 'ı', 'İ', 'ß', 'Σ', 'ς'), { maxLength: 16 }).map((chars) => chars.join(''));
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme-composite' }), built), keyedAsSaved),
      { numRuns: 5000 },
    );
  });

  test('every code point from U+0020 to U+2FFFF, alone and inside a name', () => {
    for (let code = 0x20; code <= 0x2ffff; code += 1) {
      if (code >= 0xd800 && code <= 0xdfff) continue;
      const char = String.fromCodePoint(code);
      for (const text of [`a${char}b`, `A ${char}`]) {
        const saved = tidyName(text);
        if (nameKey(text) !== nameKey(saved) || caseKey(text) !== caseKey(saved)) assert.fail(`U+${code.toString(16).toUpperCase()} in ${JSON.stringify(text)}`);
      }
    }
  });

  test('saving is idempotent: a saved name saves as itself', () => {
    fc.assert(fc.property(fc.oneof(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' })), (text) => assert.equal(tidyName(tidyName(text)), tidyName(text))), { numRuns: 3000 });
  });
});

// The name keys over any name, not only the ones the HTTP tests start from: an imitation
// (look-alike letters, any casing letter by letter, invisible characters, spacing) has
// the key of the name it imitates; a name in any alphabet recased is the same name by one
// of its two keys; names that only share a case partner with a look-alike stay apart; and
// no key can pass for a flagged legacy key.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { caseKey, LEGACY_KEY_MARK, nameKey } from '../../src/shared/text.ts';
import { lookAlikes, withInvisibles, withLookAlikes } from '../helpers/look-alikes.ts';

/**
 * Whether a look-alike is still one once saved: NFKC, which every saved name goes through,
 * leaves it or makes it a look-alike of the same letter ("𝐧" is n). Long "ſ" is saved as
 * s and shows as s: it imitates nothing, and is keyed as s (test/names/saved-form-key.test.ts).
 */
const looksAlikeSaved = (variant: string) => [...variant].every((char) => char.normalize('NFKC') === char || lookAlikes(char.normalize('NFKC')).includes(char));

/** Names as people choose them: Latin letters, digits, single spaces inside; the letters "i", "l" and "I" often. */
const names = fc
  .array(fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789iIlLiIlL '), { minLength: 2, maxLength: 20 })
  .map((chars) => chars.join('').trim().replace(/ +/g, ' '))
  .filter((name) => name.length >= 2);

describe('name key', () => {
  test('an imitation of any name has its key', () => {
    fc.assert(
      fc.property(
        names.chain((name) => fc.tuple(fc.constant(name), withLookAlikes(name).filter(looksAlikeSaved).chain((variant) => fc.oneof(fc.constant(variant), withInvisibles(variant))))),
        ([name, variant]) => assert.equal(nameKey(variant), nameKey(name), `${JSON.stringify(variant)} imitates ${JSON.stringify(name)}`),
      ),
      { numRuns: 3000 },
    );
  });

  test('a name in any cased alphabet, recased letter by letter, is the same name by one of its keys', () => {
    // Latin, Greek, Cyrillic, Armenian, Georgian Mkhedruli/Mtavruli, Cherokee: every letter with a case partner.
    const cased = [...new Set(Array.from({ length: 0x2d00 }, (_, code) => String.fromCodePoint(code)).filter((c) => /^\p{L}$/u.test(c) && c.toUpperCase() !== c.toLowerCase() && [...c.toUpperCase()].length === 1 && [...c.toLowerCase()].length === 1))];
    const caseless = [...cased, ...'ГгΝνΥυ'];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...caseless), { minLength: 1, maxLength: 12 }), fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }), (letters, capitals) => {
        const name = letters.join('');
        const recased = letters.map((c, i) => (capitals[i] ? c.toUpperCase() : c.toLowerCase())).join('');
        const same = nameKey(recased) === nameKey(name) || caseKey(recased) === caseKey(name);
        assert.ok(same, `${JSON.stringify(recased)} is ${JSON.stringify(name)}`);
      }),
      { numRuns: 3000 },
    );
    // The letters whose case link nameKey leaves out: the case key holds them.
    for (const [small, capital] of [['гоша', 'ГОША'], ['νίκος', 'ΝΊΚΟΣ'], ['υψηλή', 'ΥΨΗΛΉ']] as const) {
      assert.equal(caseKey(capital), caseKey(small), capital);
    }
  });

  test('"Acme ClﻪꞟᏧ" is "Acme Cloud": each old key missed one of its letters', () => {
    assert.equal(nameKey('Acme ClﻪꞟᏧ'), nameKey('Acme Cloud'));
    assert.equal(nameKey('InItrOdE l𝖎Ιi'), nameKey('Initrode Lili'));
  });

  test('a letter linked to another only through a look-alike\'s case partner stays itself', () => {
    // Greek nu looks like v and its capital like N. (Long s looks like f and its capital is
    // S, but it is saved as s, so it is keyed as s.)
    assert.equal(nameKey('ſafe'), nameKey('safe'));
    assert.equal(caseKey('ſafe'), caseKey('SAFE'));
    assert.notEqual(nameKey('safe'), nameKey('fafe'));
    assert.notEqual(nameKey('nova'), nameKey('vova'));
    assert.notEqual(nameKey('Acme'), nameKey('Acne'));
    assert.equal(nameKey('ΝΟVA'), nameKey('nova'), 'Greek capitals that look like Latin ones are those letters');
  });

  test('no name has a key that passes for a flagged legacy key', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'grapheme' }), fc.constantFrom('LEGACY:acme', 'ＬEGACY:x', 'Ⅼegacy:root')), (name) => {
        assert.equal(nameKey(name).startsWith(LEGACY_KEY_MARK), false, JSON.stringify(name));
      }),
      { numRuns: 2000 },
    );
  });
});

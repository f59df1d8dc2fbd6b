// The name key over any name, not only the ones the HTTP tests start from: an imitation
// (look-alike letters, any casing letter by letter, invisible characters, spacing) has
// the key of the name it imitates; names that only share a case partner with a look-alike
// stay apart; and no key can pass for a flagged legacy key.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { LEGACY_KEY_MARK, nameKey } from '../../src/shared/text.ts';
import { withInvisibles, withLookAlikes } from '../helpers/look-alikes.ts';

/** Names as people choose them: Latin letters, digits, single spaces inside; the letters "i", "l" and "I" often. */
const names = fc
  .array(fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789iIlLiIlL '), { minLength: 2, maxLength: 20 })
  .map((chars) => chars.join('').trim().replace(/ +/g, ' '))
  .filter((name) => name.length >= 2);

describe('name key', () => {
  test('an imitation of any name has its key', () => {
    fc.assert(
      fc.property(
        names.chain((name) => fc.tuple(fc.constant(name), withLookAlikes(name).chain((variant) => fc.oneof(fc.constant(variant), withInvisibles(variant))))),
        ([name, variant]) => assert.equal(nameKey(variant), nameKey(name), `${JSON.stringify(variant)} imitates ${JSON.stringify(name)}`),
      ),
      { numRuns: 3000 },
    );
  });

  test('"Acme ClﻪꞟᏧ" is "Acme Cloud": each old key missed one of its letters', () => {
    assert.equal(nameKey('Acme ClﻪꞟᏧ'), nameKey('Acme Cloud'));
    assert.equal(nameKey('InItrOdE l𝖎Ιi'), nameKey('Initrode Lili'));
  });

  test('a letter linked to another only through a look-alike\'s case partner stays itself', () => {
    // Long s looks like f and its capital is S; Greek nu looks like v and its capital like N.
    assert.equal(nameKey('ſafe'), nameKey('fafe'));
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

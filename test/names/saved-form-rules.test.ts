// The name rules judge a name as it is saved (tidyName), and pass that form on. Judged as
// typed, a compatibility character the rule allows turned, once saved, into what the rule
// refuses ("bob⑴" into "bob(1)", "ⁱ" + a dot above into the hidden "i̇", "ﷺ" into 18
// characters). So, for any input a schema accepts, what it passes on is the saved form,
// and passes the schema again unchanged: the rules hold on what is stored.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { z } from 'zod';
import { name, username } from '../../src/contract/fields.ts';
import { groupNameBody } from '../../src/contract/groups.ts';
import { invisibleCharacterProblem, tidyName, usernameProblem, usernameShapeProblem } from '../../src/contract/name-rules.ts';
import { accountRequestBody } from '../../src/contract/sign-in.ts';
import { INVISIBLES } from '../helpers/look-alikes.ts';

const RULES: [string, z.ZodType<string>][] = [
  ['username', username],
  ['company name', accountRequestBody.shape.companyName],
  ['contact name', accountRequestBody.shape.contactName],
  ['group name', groupNameBody.shape.name],
  ['a short name (2-8)', name('Short', 8, 2)],
];

/** Every character NFKC writes otherwise (ligatures, circled and full-width forms, jamo, ...), up to U+2FFFF. */
const COMPATIBILITY: string[] = [];
for (let code = 0xa0; code <= 0x2ffff; code += 1) {
  if (code >= 0xd800 && code <= 0xdfff) continue;
  const char = String.fromCodePoint(code);
  if (char.normalize('NFKC') !== char) COMPATIBILITY.push(char);
}

/** Text made of plain letters and the characters saving changes or the rules look at. */
const nameLike = fc
  .array(
    fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...'abijlBIJ019._@-') },
      { weight: 4, arbitrary: fc.constantFrom(...COMPATIBILITY) },
      { weight: 2, arbitrary: fc.constantFrom('\u0307', '\u0308', '\u0301', '\u3099', '\u1100', '\u1161', '\u11A8', 'ı', 'ȷ', 'і', 'а', 'α') },
      { weight: 1, arbitrary: fc.constantFrom(' ', '\u00A0', '\u3000', '\u1680', '\t', ...INVISIBLES) },
    ),
    { maxLength: 24 },
  )
  .map((chars) => chars.join(''));
const anyText = fc.oneof(nameLike, fc.string({ unit: 'binary', maxLength: 24 }), fc.string({ unit: 'grapheme', maxLength: 24 }));

describe('the name rules hold on the saved form', () => {
  for (const [label, rule] of RULES) {
    test(`${label}: what the rule accepts, it passes on saved, and accepts again unchanged`, () => {
      let accepted = 0;
      fc.assert(
        fc.property(anyText, (typed) => {
          const first = rule.safeParse(typed);
          if (!first.success) return;
          accepted += 1;
          assert.equal(first.data, tidyName(typed), `${JSON.stringify(typed)} is passed on as saved`);
          const again = rule.safeParse(first.data);
          assert.ok(again.success, `${JSON.stringify(typed)} saved as ${JSON.stringify(first.data)}: ${again.success ? '' : again.error.issues[0]?.message}`);
          assert.equal(again.data, first.data);
        }),
        { numRuns: 4000 },
      );
      assert.ok(accepted > 100, `only ${accepted} inputs accepted: the property tested too little`);
    });
  }

  test('the rule functions give the same answer for a name and its saved form', () => {
    fc.assert(
      fc.property(anyText, (typed) => {
        const saved = tidyName(typed);
        assert.equal(tidyName(saved), saved, 'saving is idempotent');
        assert.equal(invisibleCharacterProblem(typed), invisibleCharacterProblem(saved));
        assert.equal(usernameProblem(typed), usernameProblem(saved));
        assert.equal(usernameShapeProblem(typed) === undefined, usernameShapeProblem(saved) === undefined);
      }),
      { numRuns: 5000 },
    );
  });

  test('the reported names: refused, not saved as what the rule refuses', () => {
    for (const typed of ['bob\u2474', 'bob\u{1F101}', '\u1100\u1161', 'bob\uFF9E\uFF9E', 'bob\uFE70', '\uFDFA\uFDFA']) {
      assert.equal(username.safeParse(typed).success, false, JSON.stringify(typed));
    }
    for (const typed of ['B\u2071\u0307lling', 'B\uFF49\u0307lling', '\uFDFA'.repeat(6)]) {
      assert.equal(groupNameBody.shape.name.safeParse(typed).success, false, JSON.stringify(typed));
    }
    assert.deepEqual(username.safeParse(' \uFF4A\uFF41\uFF4E\uFF45 ').data, 'jane');
    assert.deepEqual(groupNameBody.shape.name.safeParse('\uFDFA'.repeat(5)).data?.length, 90);
  });
});

// A company name that differs from an existing one only by a character that draws nothing
// is no second company: the public request form refuses it (the character named), as it
// refuses the blank braille pattern. The musical null notehead (U+1D159, an empty glyph)
// and the Khitan small script filler (U+16FE4, a nonspacing mark with no glyph) belong to
// no class the rules refused, so a look-alike of "Acme Managed IT" could be asked for and
// approved beside it (src/contract/name-rules.ts, INVISIBLE). Every kind of name is held
// to the same list in test/http/look-alike-names.test.ts (test/helpers/look-alikes.ts).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Agent } from '../helpers/agent.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { ACME_REQUEST, approvedCompany, signedInOperator } from '../helpers/journey.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

for (const engine of await enginesUnderTest()) describe(`blank-glyph look-alikes of an existing company's name (${engine})`, () => {
  let server: TestServer;
  let operator: Agent;
  before(async () => {
    server = await startTestServer({ engine });
    operator = (await signedInOperator(server)).agent;
    await approvedCompany(server, operator);
  });
  after(() => server.close());

  const blanks = [['U+1D159, the musical null notehead', '\u{1D159}', '1D159'], ['U+16FE4, the Khitan small script filler', '\u{16FE4}', '16FE4'], ['U+2800, the braille blank', '\u2800', '2800']] as const;
  for (const [label, blank, code] of blanks) {
    test(`"${ACME_REQUEST.companyName}" with ${label} at its end or inside is refused, naming the character`, async () => {
      for (const name of [`${ACME_REQUEST.companyName}${blank}`, ACME_REQUEST.companyName.replace(' ', ` ${blank}`), ACME_REQUEST.companyName.replace('IT', `I${blank}T`)]) {
        const answer = await server.agent().post('/api/account-requests', { ...ACME_REQUEST, companyName: name, email: `impostor-${code}@evil.test` });
        assert.deepEqual([answer.status, answer.body.error?.code], [400, 'request.invalid'], `${JSON.stringify(name)}: ${JSON.stringify(answer.body)}`);
        assert.match(JSON.stringify(answer.body.error.fields), new RegExp(`U\\+${code}`));
      }
      const requests = (await operator.get('/api/operator/requests')).body;
      assert.ok(!JSON.stringify(requests).includes(`impostor-${code}@evil.test`), 'no request was stored');
    });
  }
});

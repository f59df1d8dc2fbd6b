// A SAML sign-in's request is taken once (docs/SSO.md). An answer refused by verification
// left it pending (only a wrong browser or a removed provider took it before node-saml
// ran), so one anonymous browser, after a single identify and Continue (each capped per
// network), could post forged answers of up to 512 KiB to the ACS without end, each parsed
// and its signature checked in full on the shared event loop. The ACS now takes the
// request before anything else, as the OpenID Connect callback takes its state
// (receiveSamlResponse, src/sso/sign-in.ts).
//
// Work is counted, not timed: the verifications node-saml runs for one pending request.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SAML } from '@node-saml/node-saml';
import { companyWithRootMaster, operatorAgent, type SignedInCompany } from '../helpers/company-admin.ts';
import { assertionXml, makeIdp, switchedOnSamlProvider, postToAcs, requestIdFrom, responseXml, signAssertion, type AssertionFacts, type TestIdp } from '../helpers/saml-idp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

let verifications = 0;
const original = SAML.prototype.validatePostResponseAsync;
SAML.prototype.validatePostResponseAsync = function counted(this: SAML, ...args: Parameters<typeof original>) {
  verifications += 1;
  return original.apply(this, args);
};

describe('one SAML sign-in request pays for at most one verification', () => {
  let server: TestServer;
  let company: SignedInCompany;
  let idp: TestIdp;
  let sp: { entityId: string; acsUrl: string };

  before(async () => {
    server = await startTestServer();
    company = await companyWithRootMaster(server, await operatorAgent(server), 'Acme Costly SAML', 'dana@samlcost.test');
    idp = makeIdp();
    ({ sp } = await switchedOnSamlProvider(company.root.agent, company.root.id, idp, { trustProviderMfa: false, mode: 'sso-only', now: server.clock }));
  });
  after(() => server?.close());

  const facts = (requestId: string, more: Partial<AssertionFacts> = {}): AssertionFacts => ({
    requestId, acsUrl: sp.acsUrl, audience: sp.entityId, issuer: idp.entityId, nameId: 'carol', now: server.clock(),
    attributes: { email: 'carol@acme.test' }, ...more,
  });

  test('forged answers posted again and again for one pending request are verified once', async () => {
    // Anyone: a browser that names the company and presses Continue.
    const browser = server.agent();
    assert.equal((await browser.post('/api/login/identify', { username: 'anyone', companyName: company.companyName })).body.step, 'sso');
    const started = await browser.post('/api/login/sso/start');
    assert.equal(started.status, 200, JSON.stringify(started.body));
    const requestId = requestIdFrom(started.body.redirectTo);

    // A forged answer (signed by the attacker's own key) padded with attributes to about 200 KiB of XML (its form post stays under the ACS's 512 KiB).
    const padding: Array<[string, string[]]> = [['junk', Array.from({ length: 1800 }, (_, i) => `value-${i}-${'x'.repeat(80)}`)]];
    const f = facts(requestId, { attributes: padding });
    const forged = responseXml(signAssertion(assertionXml(f), makeIdp()), f);
    assert.ok(forged.length > 150_000, `${forged.length} characters`);

    verifications = 0;
    const posts = 6;
    for (let i = 0; i < posts; i += 1) {
      const answer = await postToAcs(sp.acsUrl, forged, browser);
      assert.equal(answer.location, '/login?sso=failed', JSON.stringify(answer));
    }
    assert.equal((await browser.get('/api/me')).status, 401, 'nobody is signed in');
    const pending = await server.gatehouse.deps.db.selectFrom('sso_requests').select(['used_at']).where('id', '=', requestId).executeTakeFirst();
    // Taken once: the first refused answer should use the request up, so the rest are refused unread.
    assert.ok(verifications <= 1, `${verifications} full verifications of a ${forged.length}-character answer for one request (still pending: ${pending?.used_at === null})`);
  });
});

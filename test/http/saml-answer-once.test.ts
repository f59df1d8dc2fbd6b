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
import { assertionXml, makeIdp, postToAcs, requestIdFrom, responseXml, signAssertion, signedResponse, type AssertionFacts, type TestIdp } from '../helpers/saml-idp.ts';
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
    sp = (await company.root.agent.get('/api/company/sso')).body.serviceProvider;
    const added = await company.root.agent.post('/api/company/sso/providers', {
      kind: 'saml', name: 'Acme IdP', entityId: idp.entityId, ssoUrl: idp.ssoUrl, certificates: [idp.certificate], usernameAttribute: 'NameID', trustProviderMfa: false,
    });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    const providerId = added.body.provider.id as string;
    const started = await company.root.agent.post(`/api/company/sso/providers/${providerId}/test`);
    const tested = await postToAcs(sp.acsUrl, signedResponse(idp, facts(requestIdFrom(started.body.redirectTo), { nameId: 'tester' })), company.root.agent);
    assert.equal(tested.status, 303);
    assert.equal((await company.root.agent.post('/api/company/sso', { mode: 'sso-only', breakGlassUserIds: [company.root.id] })).status, 200);
    const on = await company.root.agent.post(`/api/company/sso/providers/${providerId}/enabled`, { enabled: true });
    assert.equal(on.status, 200, JSON.stringify(on.body));
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

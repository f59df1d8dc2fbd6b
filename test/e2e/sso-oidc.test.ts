// Single sign-on with an OpenID Connect provider in each browser engine: node oidc-provider in a
// process of its own plays the company's IdP (test/helpers/oidc-idp.ts; its sign-in page
// signs in whoever the test names). From the login page, Continue goes to the provider
// and back; the user is made on the way and, the provider's MFA being trusted, lands on
// the dashboard.
//
// Needs the web app built (npx node scripts/build-web.ts) and Debian's browsers
// (GATEHOUSE_E2E_BROWSERS=chromium for one engine).
//
//   npx node --test test/e2e/sso-oidc.test.ts
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { companyWithRootMaster, dbOf, operatorAgent } from '../helpers/company-admin.ts';
import { startOidcIdp } from '../helpers/oidc-idp.ts';
import { enginesFromEnv, launchBrowser } from './browsers/index.ts';
import { JOURNEY_TIMEOUT_MS } from './support.ts';
import { onHttpsGatehouse } from './stage.ts';

const COMPANY = 'Acme Okta Browser';

for (const engine of enginesFromEnv()) {
  test(`an OpenID Connect provider signs a new user in from the login page (${engine})`, { timeout: JOURNEY_TIMEOUT_MS }, async () => {
    await onHttpsGatehouse(engine, async ({ server, closeFirst }) => {
      const company = await companyWithRootMaster(server, await operatorAgent(server), COMPANY, 'dana@okta-browser.test');
      const admin = company.root.agent;
      const overview = await admin.get('/api/company/sso');
      const idp = await startOidcIdp(overview.body.serviceProvider.oidcRedirectUri);
      closeFirst('stopping the OpenID Connect provider', () => idp.close());

      const added = await admin.post('/api/company/sso/providers', {
        kind: 'oidc',
        name: 'Acme Okta',
        issuer: idp.issuer,
        clientId: idp.clientId,
        clientSecret: idp.clientSecret,
        usernameAttribute: 'preferred_username',
        trustProviderMfa: true,
      });
      assert.equal(added.status, 201, JSON.stringify(added.body));
      const providerId = added.body.provider.id as string;
      // Test Sign-In over HTTP (the SimpleSAMLphp browser test clicks it in the page).
      await idp.nextUser({ sub: 'sub-tester', claims: { preferred_username: 'tester' } });
      const started = await admin.post(`/api/company/sso/providers/${providerId}/test`);
      await admin.get((await idp.signIn(started.body.redirectTo)).slice(server.baseUrl.length));
      assert.equal((await admin.get(`/api/company/sso/providers/${providerId}/test/${started.body.testId}`)).body.status, 'succeeded');
      assert.equal((await admin.post('/api/company/sso', { breakGlassUserIds: [company.root.id] })).status, 200);
      assert.equal((await admin.post(`/api/company/sso/providers/${providerId}/enabled`, { enabled: true })).status, 200);

      await idp.nextUser({ sub: 'sub-owen', claims: { preferred_username: 'owen', name: 'Owen Okta', email: 'owen@okta-browser.test' }, amr: ['pwd', 'otp'] });
      const page = await launchBrowser(engine);
      closeFirst('closing the browser', () => page.close());
      await page.goto(`${server.baseUrl}/login`);
      await page.fill('Username', 'owen');
      await page.fill('Company Name', COMPANY);
      await page.click('Next');
      await page.waitForText('Sign In With Your Company Account');
      await page.click('Continue to Acme Okta');
      await page.waitForPath('/');
      await page.waitForText('Owen Okta');

      const db = dbOf(server);
      const owen = await db.selectFrom('users').select('id').where('company_id', '=', company.companyId).where('username', '=', 'owen').executeTakeFirstOrThrow();
      assert.equal((await db.selectFrom('sessions').select('amr').where('user_id', '=', owen.id).executeTakeFirstOrThrow()).amr, 'fed mfa');
    });
  });
}

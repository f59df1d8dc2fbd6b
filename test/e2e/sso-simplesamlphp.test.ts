// Single sign-on with a SAML provider no one here wrote: SimpleSAMLphp (Debian's package,
// in an Apache of its own, test/helpers/simplesamlphp.ts) in each browser engine. The Root Master
// adds the provider from SimpleSAMLphp's metadata, runs Test Sign-In in the Company page
// and switches it on; then a new user signs in through SimpleSAMLphp from the login page
// and is created on the way. SimpleSAMLphp's answer comes back by its own HTTP-POST form,
// which submits by script: only a real browser does that.
//
// Needs the web app built (npx node scripts/build-web.ts), Debian's browsers, and simplesamlphp
// with php8.2-xml, php8.2-mbstring, libapache2-mod-php8.2 (.ci/run installs them).
//
//   npx node --test test/e2e/sso-simplesamlphp.test.ts
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { companyWithRootMaster, dbOf, operatorAgent } from '../helpers/company-admin.ts';
import { STRONG_PASSWORD } from '../helpers/journey.ts';
import { startSimpleSamlPhp } from '../helpers/simplesamlphp.ts';
import { enginesFromEnv, launchBrowser, type BrowserPage } from './browsers/index.ts';
import { currentStep, freshCode, JOURNEY_TIMEOUT_MS } from './support.ts';
import { onHttpsGatehouse } from './stage.ts';

const COMPANY = 'Acme Federation';
const ALICE = { username: 'alice', password: 'Alice-Saml-Secret-1', attributes: { uid: 'alice', mail: 'alice@saml.test', displayName: 'Alice Saml' } };

async function signInAtSimpleSamlPhp(page: BrowserPage) {
  await page.waitForText('Enter your username and password');
  await page.fill('Username', ALICE.username);
  await page.fill('Password', ALICE.password);
  await page.click('Login');
}

for (const engine of enginesFromEnv()) {
  test(`SimpleSAMLphp as a company provider: Test Sign-In, Switch On, and a new user signs in (${engine})`, { timeout: JOURNEY_TIMEOUT_MS }, async () => {
    await onHttpsGatehouse(engine, async ({ server, closeFirst }) => {
      const base = server.baseUrl;
      const company = await companyWithRootMaster(server, await operatorAgent(server), COMPANY, 'dana@federation.test');
      const enrolledStep = currentStep();
      // The IdP states that the user passed MFA; the company trusts it, so no Gatehouse code.
      const idp = await startSimpleSamlPhp([ALICE], { authnContextClassRef: 'https://refeds.org/profile/mfa' });
      closeFirst('stopping SimpleSAMLphp', () => idp.close());

      // Each side reads the other's metadata: Gatehouse's through SimpleSAMLphp's SAMLParser.
      const overview = await company.root.agent.get('/api/company/sso');
      idp.trustServiceProvider(await (await fetch(overview.body.serviceProvider.metadataUrl)).text());
      const added = await company.root.agent.post('/api/company/sso/providers', {
        kind: 'saml',
        name: 'Acme SimpleSAMLphp',
        metadataXml: idp.metadataXml,
        usernameAttribute: 'uid',
        trustProviderMfa: true,
      });
      assert.equal(added.status, 201, JSON.stringify(added.body));
      assert.equal((await company.root.agent.post('/api/company/sso', { mode: 'sso-only', breakGlassUserIds: [company.root.id] })).status, 200);

      // The Root Master, in the browser: Company, Single Sign-On, Test Sign-In, Switch On.
      const master = await launchBrowser(engine);
      closeFirst("closing the Master's browser", () => master.close());
      await master.goto(`${base}/login`);
      await master.fill('Username', company.root.username);
      await master.fill('Company Name', COMPANY);
      await master.click('Next');
      // No provider is on yet: the password step, as always.
      await master.waitForText('Enter Your Password');
      await master.fill('Password', STRONG_PASSWORD);
      await master.click('Log In');
      const { code } = await freshCode(company.root.totpSecret, enrolledStep + 1);
      await master.waitForText('Two-Factor Authentication');
      await master.fill('Authentication Code', code);
      await master.click('Verify');
      await master.waitForPath('/');
      await master.goto(`${base}/company?tab=sso`);
      await master.waitForText('What to Give Your Identity Provider');
      await master.click('Test Sign-In');
      await signInAtSimpleSamlPhp(master);
      await master.waitForText('Test sign-in succeeded');
      await master.waitForText('The provider signed in Alice Saml (username alice, alice@saml.test). It proved multi-factor authentication.');
      await master.click('Switch On');
      await master.waitForText('Acme SimpleSAMLphp is on.');

      // Alice has no Gatehouse account yet: she is made on her first sign-in.
      const alice = await launchBrowser(engine);
      closeFirst("closing Alice's browser", () => alice.close());
      await alice.goto(`${base}/login`);
      await alice.fill('Username', 'alice');
      await alice.fill('Company Name', COMPANY);
      await alice.click('Next');
      await alice.waitForText('Sign In With Your Company Account');
      await alice.click('Continue to Acme SimpleSAMLphp');
      await signInAtSimpleSamlPhp(alice);
      await alice.waitForPath('/');
      await alice.waitForText('Alice Saml');

      const db = dbOf(server);
      const user = await db.selectFrom('users').select(['id', 'email', 'role']).where('company_id', '=', company.companyId).where('username', '=', 'alice').executeTakeFirstOrThrow();
      assert.deepEqual({ email: user.email, role: user.role }, { email: 'alice@saml.test', role: 'user' });
      const session = await db.selectFrom('sessions').select('amr').where('user_id', '=', user.id).executeTakeFirstOrThrow();
      assert.equal(session.amr, 'fed mfa');
    });
  });
}

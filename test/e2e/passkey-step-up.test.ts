// Step-up from a module in Chromium, with the DevTools protocol's virtual authenticator:
// a user who has a passkey signs in to Gatehouse with password and the app's code; a
// module then asks for phishing-resistant sign-in (acr_values=urn:gatehouse:loa:
// phishing-resistant), the browser is sent to log in again, the user answers the code
// step with the passkey, and the module's ID token says acr phishing-resistant with amr
// hwk or swk. A user without a key asked for it sees the refusal page, and the module
// never receives a code. The module is openid-client (test/helpers/oidc.ts) with its
// callback on a plain loopback HTTP server that records what the browser brings.
// Screenshots go to test-output/screenshots/passkey-step-up-chromium/.
//
//   npm run build:web && GATEHOUSE_E2E_BROWSERS=chromium npx node --test test/e2e/passkey-step-up.test.ts
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { signedInOperator } from '../helpers/journey.ts';
import { client, companyUser, companyWithRootMaster, grantedModule, redeem, type Person } from '../helpers/oidc.ts';
import { until } from '../helpers/until.ts';
import type { BrowserPage } from './browsers/index.ts';
import { NAVIGATION_TIMEOUT_MS } from './browsers/wait.ts';
import { identifyAndPassword } from './login-page.ts';
import { currentStep, freshCode, JOURNEY_TIMEOUT_MS } from './support.ts';
import { onHttpsGatehouse } from './stage.ts';
import { addKeyInSettings, attach, PLATFORM_PASSKEY, handSessionTo, keyTab } from './virtual-authenticator.ts';

const SCREENSHOTS = fileURLToPath(new URL('../../test-output/screenshots/passkey-step-up-chromium/', import.meta.url));
const PHISHING_RESISTANT = 'urn:gatehouse:loa:phishing-resistant';

type SignedInAnswer = { session: { amr: string[] } };

/** The module's side of the redirect: a loopback server that keeps every callback the browser brings. */
async function startModuleCallback() {
  const callbacks: URL[] = [];
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', origin);
    if (url.pathname === '/callback') callbacks.push(url);
    response.writeHead(200, { 'content-type': 'text/plain' }).end('Module callback');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { origin, callbacks, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

async function authorizationUrl(config: client.Configuration, redirectUri: string) {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: 'openid profile email company',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    acr_values: PHISHING_RESISTANT,
    state,
    nonce,
  });
  return { url, verifier, state, nonce };
}

// The step of each person's last code typed here; their enrollment (the HTTP helpers) moved
// the stage's clock on past its own step, so their first code here is the current step's.
const lastStep = new Map<string, number>();

async function enterAppCode(page: BrowserPage, who: Person) {
  await page.waitForText('Two-Factor Authentication');
  const { code, step } = await freshCode(who.totpSecret, (lastStep.get(who.totpSecret) ?? currentStep() - 1) + 1);
  lastStep.set(who.totpSecret, step);
  await page.fill('Authentication Code', code);
  await page.click('Verify');
}

async function sessionAmr(tab: Page): Promise<string[]> {
  return ((await tab.evaluate(() => fetch('/api/me').then((r) => r.json()))) as SignedInAnswer).session.amr;
}

describe('a module asks for phishing-resistant sign-in (chromium)', () => {
  test('a code session steps up with the passkey and the module gets acr phishing-resistant; a user without a key is refused', { timeout: JOURNEY_TIMEOUT_MS }, async () => {
    await onHttpsGatehouse('chromium', async ({ server, closeFirst }) => {
      const base = server.baseUrl;
      const callback = await startModuleCallback();
      const redirectUri = `${callback.origin}/callback`;
      const operator = await signedInOperator(server);
      const root = await companyWithRootMaster(server, operator.agent, 'Acme Step-Up');
      const withoutKey = await companyUser(server, root, 'nokey');
      const module = await grantedModule(server, operator.agent, root.companyId, { redirectUris: [redirectUri] });
      const { page, tab, cdp, shot } = await keyTab(closeFirst, SCREENSHOTS);
      closeFirst('stopping the module callback', () => callback.close());

      // 1. The Root Master (session from the HTTP helpers) adds a passkey in My Settings.
      await handSessionTo(tab, root.agent, base);
      const authenticatorId = await attach(cdp, PLATFORM_PASSKEY);
      await addKeyInSettings(page, base, 'This laptop');
      assert.equal((await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials.length, 1);

      // 2. A fresh browser login with password and the app's code: a session without the key.
      await tab.context().clearCookies();
      await page.goto(`${base}/login`);
      await identifyAndPassword(page, root);
      await enterAppCode(page, root);
      await page.waitForPath('/');
      assert.deepEqual(await sessionAmr(tab), ['pwd', 'otp']);

      // 3. The module asks for phishing-resistant sign-in: the browser is sent to log in again.
      const stepUp = await authorizationUrl(module.config, redirectUri);
      await page.goto(stepUp.url.toString());
      await page.waitForText('Company Name');
      assert.equal(new URL(await tab.url()).pathname, '/login', 'sent to the login page');
      assert.equal(callback.callbacks.length, 0, 'no code for the code session');
      await page.waitForText('The application you are signing in to asks for a passkey or security key');
      await shot('step-up-login');
      await identifyAndPassword(page, root);
      await page.waitForText('Use a passkey or security key');
      await shot('step-up-code-step-offers-key');
      await page.click('Use a passkey or security key');

      // 4. Back at the module with a code; the ID token says the key signed.
      await until(() => callback.callbacks.length === 1, 'the browser to bring a code to the module', NAVIGATION_TIMEOUT_MS);
      const tokens = await redeem(module.config, callback.callbacks[0] as URL, stepUp);
      const claims = tokens.claims();
      assert.ok(claims, 'an ID token came back');
      assert.equal(claims.acr, PHISHING_RESISTANT);
      const amr = (claims.amr ?? []) as string[];
      assert.ok(amr.includes('hwk') || amr.includes('swk'), `amr says a key signed: ${amr.join(', ')}`);
      assert.ok(!amr.includes('otp'), `not the code session's amr: ${amr.join(', ')}`);
      assert.equal(claims.preferred_username, root.username);
      await shot('module-callback');

      // 5. A user without a key: signed in with the code, asked for a key, logs in again
      // with the code (no key to offer), and sees the refusal page, not a token.
      await tab.context().clearCookies();
      await page.goto(`${base}/login`);
      await identifyAndPassword(page, withoutKey);
      await enterAppCode(page, withoutKey);
      await page.waitForPath('/');
      const refused = await authorizationUrl(module.config, redirectUri);
      await page.goto(refused.url.toString());
      await page.waitForText('Company Name');
      await identifyAndPassword(page, withoutKey);
      await page.waitForText('Two-Factor Authentication');
      assert.ok(!(await page.text()).includes('Use a passkey or security key'), 'no key to offer');
      await enterAppCode(page, withoutKey);
      const text = await page.waitForText('This application requires a passkey or security key');
      assert.match(text, /Sign in with a passkey or security key to continue/);
      await shot('refused-without-key');
      assert.equal(callback.callbacks.length, 1, 'the module received no code for the user without a key');
    });
  });
});

// A Master creates an API client in the Company page, sees its secret once, and a tool
// (this test, from Node) exchanges it for a token at /oidc/token and reads the company's
// users under /api/v1; then the Master rotates the secret (the old one and its token stop)
// and deletes the client (the token endpoint refuses it). Creating and rotating each ask
// for the password and a fresh code first (the Confirm-it-is-you dialog); deleting does not. Over https with a throwaway
// certificate, as in invite.test.ts. Screenshots go to test-output/screenshots/api-clients-<engine>/.
//
// Needs the web app built (npx node scripts/build-web.ts) and Debian's chromium. Chromium
// only unless GATEHOUSE_E2E_BROWSERS names others. The login, and each proof after it, takes
// a code of a later TOTP step than the one before: the stage's clock moves on to it.
//
//   npx node --test test/e2e/api-clients.test.ts
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { callApi, requestToken, tokenFor } from '../helpers/api-clients.ts';
import { companyWithRootMaster, operatorAgent, type SignedInCompany } from '../helpers/company-admin.ts';
import { ACME_REQUEST, STRONG_PASSWORD } from '../helpers/journey.ts';
import { type TestServer } from '../helpers/server.ts';
import { enginesFromEnv, launchBrowser, type BrowserPage } from './browsers/index.ts';
import { enterFreshCode, identifyAndPassword } from './login-page.ts';
import { currentStep, freshCode, JOURNEY_TIMEOUT_MS, screenshots, type Shot } from './support.ts';
import { onHttpsGatehouse } from './stage.ts';

const CLIENT_NAME = 'PSA sync';
const SHOWN_ONCE = 'Copy the client secret now.';
// Not \b: an id may end in '-', after which a word boundary never comes (1 in 64 ids).
const CLIENT_ID = /(?<![\w-])ghapi_[\w-]{22}(?![\w-])/;
const SECRET = /\bghapisec_[A-Za-z0-9_-]+/;


for (const engine of enginesFromEnv(process.env.GATEHOUSE_E2E_BROWSERS?.trim() || 'chromium')) {
  describe(`a Master manages an API client in a real browser (${engine})`, () => {
    test('New API Client with users:read, the secret once, a token and /api/v1 users, Rotate Secret, Delete', { timeout: JOURNEY_TIMEOUT_MS }, async () => {
      // The token and API calls (fetch) trust the stage's certificate.
      await onHttpsGatehouse(engine, async ({ server, closeFirst }) => {
        const company = await companyWithRootMaster(server, await operatorAgent(server), ACME_REQUEST.companyName, ACME_REQUEST.email);
        const enrolledStep = currentStep();
        const page = await launchBrowser(engine);
        closeFirst('closing the browser', () => page.close());
        await manageApiClient(server, company, enrolledStep, page, screenshots(page, `api-clients-${engine}`));
      });
    });
  });
}

/** The Confirm-it-is-you dialog: the password and a code of a step after `usedStep`; returns the step used. */
async function prove(page: BrowserPage, secret: string, usedStep: number, confirm: string): Promise<number> {
  await page.fill('Password', STRONG_PASSWORD);
  const { code, step } = await freshCode(secret, usedStep + 1);
  await page.fill('Authentication Code', code);
  await page.click(confirm);
  return step;
}

async function manageApiClient(server: TestServer, company: SignedInCompany, enrolledStep: number, page: BrowserPage, shot: Shot) {
  const users = `/api/v1/companies/${company.companyId}/users`;

  // The Master logs in and opens Company, API Clients.
  await page.goto(`${server.baseUrl}/login`);
  await identifyAndPassword(page, { username: company.root.username, companyName: company.companyName });
  let usedStep = await enterFreshCode(page, company.root.totpSecret, enrolledStep);
  await page.waitForPath('/');
  await page.click('Company', 'link');
  await page.waitForPath('/company');
  await page.click('API Clients', 'tab');
  await page.waitForText('No API clients yet.');

  // New API Client: a name and users:read; a company is never offered a platform scope.
  await page.click('New API Client');
  await page.waitForControl('Create API Client');
  const dialog = await page.text();
  assert.ok(dialog.includes('users:write') && !dialog.includes('companies:read'), 'a Master is offered company scopes only');
  await page.fill('Name', CLIENT_NAME);
  await page.check('users:read');
  await shot('new-api-client');
  await page.click('Create API Client');
  // Confirm it is you: the password and a code of a later step than the login's.
  await page.waitForText('Its secret acts with the scopes you chose');
  await shot('confirm-create');
  usedStep = await prove(page, company.root.totpSecret, usedStep, 'Create API Client');
  // Waited for as values, not only as the dialog's warning: on a loaded machine the page's
  // text was once read with the warning drawn and the values not yet.
  await page.waitForText(SHOWN_ONCE);
  await page.waitForText(CLIENT_ID);
  const created = await page.waitForText(SECRET);
  const clientId = CLIENT_ID.exec(created)?.[0];
  const secret = SECRET.exec(created)?.[0];
  assert.ok(clientId && secret, 'the dialog shows the client id and secret');
  await shot('secret-shown');
  await page.click('Done');
  await page.waitForNoText(SHOWN_ONCE);
  const listed = await page.waitForText(clientId);
  assert.ok(!listed.includes(secret), 'the secret is not shown again');
  assert.match(listed, new RegExp(`${CLIENT_NAME}\\s+${clientId}\\s+users:read\\b`), 'the row names the client and its scope');

  // A tool uses it: a token by client credentials, then the company's users.
  const token = await tokenFor(server, clientId, secret);
  const answer = await callApi(server, users, token);
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  assert.ok(answer.body.users.some((u: { username: string }) => u.username === company.root.username), 'the company’s users');

  // Rotate Secret: asked first, then the new secret once; the old one and its token stop.
  await page.click(`Rotate Secret for ${CLIENT_NAME}`);
  await page.waitForText('Issue a new client secret');
  await prove(page, company.root.totpSecret, usedStep, 'Rotate Secret');
  await page.waitForText(SHOWN_ONCE);
  const rotated = await page.waitForText(SECRET);
  const fresh = SECRET.exec(rotated)?.[0];
  assert.ok(fresh && fresh !== secret, 'a new secret is shown');
  await shot('secret-rotated');
  await page.click('Done');
  await page.waitForNoText(SHOWN_ONCE);
  assert.equal((await requestToken(server, clientId, secret)).body.error, 'invalid_client', 'the old secret is refused');
  assert.equal((await callApi(server, users, token)).status, 401, 'a token got with the old secret stops');
  assert.equal((await callApi(server, users, await tokenFor(server, clientId, fresh))).status, 200, 'the new secret works');

  // Delete: asked first; then the token endpoint refuses the client.
  await page.click(`Delete ${CLIENT_NAME}`);
  await page.waitForText('This cannot be undone.');
  await page.click('Delete');
  await page.waitForText(`Deleted ${CLIENT_NAME}.`);
  await page.waitForText('No API clients yet.');
  await shot('deleted');
  const refused = await requestToken(server, clientId, fresh);
  assert.equal(refused.status, 401);
  assert.equal(refused.body.error, 'invalid_client', 'a deleted client gets no token');
}

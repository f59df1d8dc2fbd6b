// Step-up before a sensitive change, as a Master sees it: the session's proof is older than
// ten minutes, so changing a user's role to Master is refused with reauth.required; the
// console's one "Confirm it's you" dialog (web/src/components/StepUpProvider.tsx, asked from
// the API layer, web/src/api.ts) takes the password and a fresh code, proves the session
// (POST /api/me/reauth) and sends the change again by itself: the role changes without the
// Master clicking Change Role a second time. Cancelled (a policy save), the change is not
// made and the page shows the refusal as its usual error. Choosing to hold Masters to keys
// warns first that this session, signed in without a key, cannot save it. Over https with a throwaway certificate, as in
// invite.test.ts. Screenshots go to test-output/screenshots/step-up-<engine>/.
//
// Needs the web app built (npx node scripts/build-web.ts) and Debian's chromium. Chromium
// only unless GATEHOUSE_E2E_BROWSERS names others. Real time: the proof's code waits for a
// TOTP step after the login's (up to 30 s).
//
//   npx node --test test/e2e/step-up.test.ts
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { companyWithRootMaster, dbOf, invitedMember, operatorAgent, type SignedInCompany } from '../helpers/company-admin.ts';
import { ACME_REQUEST, STRONG_PASSWORD } from '../helpers/journey.ts';
import { type TestServer } from '../helpers/server.ts';
import { enginesFromEnv, launchBrowser, type BrowserPage } from './browsers/index.ts';
import { enterFreshCode, identifyAndPassword } from './login-page.ts';
import { currentStep, freshCode, JOURNEY_TIMEOUT_MS, screenshots, type Shot } from './support.ts';
import { onHttpsGatehouse } from './stage.ts';

const ASKED = "Confirm it's you";
const WHY = 'This change needs you to confirm it is you.';
const KEY_FIRST = 'Sign in with a passkey or security key first';
/** Past the ten minutes a proof lets a session make sensitive changes (FRESH_PROOF_MS). */
const AGED_MS = 11 * 60_000;


for (const engine of enginesFromEnv(process.env.GATEHOUSE_E2E_BROWSERS?.trim() || 'chromium')) {
  describe(`a Master confirms it is them before a sensitive change, in a real browser (${engine})`, () => {
    test('an old session changes a role to Master: Confirm it is you, then the change goes through by itself', { timeout: JOURNEY_TIMEOUT_MS }, async () => {
      await onHttpsGatehouse(engine, async ({ server, closeFirst }) => {
        const company = await companyWithRootMaster(server, await operatorAgent(server), ACME_REQUEST.companyName, ACME_REQUEST.email);
        const enrolledStep = currentStep();
        const member = await invitedMember(server, company, company.root.agent, { username: 'lee', role: 'user' });
        const page = await launchBrowser(engine);
        closeFirst('closing the browser', () => page.close());
        await stepUp(server, company, member.id, enrolledStep, page, screenshots(page, `step-up-${engine}`));
      });
    });
  });
}

/**
 * Makes every session of `userId` look as if its last proof was eleven minutes ago: the
 * login (created_at) moved back, and no later POST /api/me/reauth (proved_at).
 */
async function ageProof(server: TestServer, userId: string) {
  const aged = await dbOf(server)
    .updateTable('sessions')
    .set({ created_at: sql<number>`created_at - ${AGED_MS}`, proved_at: null })
    .where('user_id', '=', userId)
    .executeTakeFirst();
  assert.ok(Number(aged.numUpdatedRows) >= 1, 'the Master has a session to age');
}

async function roleOf(server: TestServer, userId: string) {
  return (await dbOf(server).selectFrom('users').select('role').where('id', '=', userId).executeTakeFirstOrThrow()).role;
}

async function lockoutThreshold(server: TestServer, companyId: string) {
  return (await dbOf(server).selectFrom('companies').select('lockout_threshold').where('id', '=', companyId).executeTakeFirstOrThrow()).lockout_threshold;
}

async function stepUp(server: TestServer, company: SignedInCompany, memberId: string, enrolledStep: number, page: BrowserPage, shot: Shot) {
  // The Master logs in and opens Company, where lee is a User.
  await page.goto(`${server.baseUrl}/login`);
  await identifyAndPassword(page, { username: company.root.username, companyName: company.companyName });
  const loginStep = await enterFreshCode(page, company.root.totpSecret, enrolledStep);
  await page.waitForPath('/');
  await page.click('Company', 'link');
  await page.waitForPath('/company');
  await page.waitForText('lee');

  // Eleven minutes later, as far as the server can tell.
  await ageProof(server, company.root.id);

  // Change Role to Master: refused until the Master confirms it is them, so asked.
  await page.click('Actions for lee');
  await page.click('Change Role', 'menuitem');
  await page.waitForText('Choose the role of');
  await page.clickText('Master');
  await page.click('Change Role');
  await page.waitForText(ASKED);
  const asked = await page.waitForText(WHY);
  assert.ok(!asked.includes('Confirm it is you to make this change.'), 'the refusal is asked about, not shown as an error');
  assert.equal(await roleOf(server, memberId), 'user', 'nothing changed before the proof');
  await shot('confirm-its-you');

  // The password and a code of a later step than the login's; Confirm, and nothing else.
  await page.fill('Password', STRONG_PASSWORD);
  const { code } = await freshCode(company.root.totpSecret, loginStep + 1);
  await page.fill('Authentication Code', code);
  await page.click('Confirm');

  // The change was sent again by itself: the page says so and the server has it.
  await page.waitForText('lee is now a Master.');
  await page.waitForNoText(WHY);
  await page.waitForNoText('Choose the role of');
  await shot('role-changed');
  assert.equal(await roleOf(server, memberId), 'master', 'lee is a Master');

  // Aged again, and this time the Master cancels (saving the security policy, a change
  // made on the page rather than in a dialog): nothing is saved, and the page shows the
  // refusal as it shows any other error.
  await ageProof(server, company.root.id);
  const before = await lockoutThreshold(server, company.companyId);
  await page.click('Security Policy', 'tab');
  await page.waitForControl('Save Policy');
  await page.fill('Failed Attempts Before Lock', String(before + 1));
  await page.click('Save Policy');
  await page.waitForText(WHY);
  await page.click('Cancel');
  await page.waitForText('Confirm it is you to make this change.');
  await page.waitForNoText(WHY);
  await shot('cancelled');
  assert.equal(await lockoutThreshold(server, company.companyId), before, 'nothing saved without the proof');

  // Holding Masters to keys would end this session (made with the app's code), which the
  // server refuses to save (policy.key_sign_in_required): the form says so before Save.
  await page.clickText('Masters and the Root Master');
  await page.waitForText(KEY_FIRST);
  await shot('key-sign-in-first');
  await page.clickText("No one: the app's code is enough");
  await page.waitForNoText(KEY_FIRST);
}

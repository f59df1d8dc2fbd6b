// A Master invites a user in the Company page, and the user signs up from the invite email,
// logs in, sets up 2FA, sees the recovery codes and reaches the dashboard: all in a real
// browser, over https as in journey.test.ts. The company and its Root Master are set up
// over HTTP with the test helpers; everything the browser test names happens in
// the UI. Screenshots go to test-output/screenshots/invite-<engine>/.
//
// Needs the web app built (npx node scripts/build-web.ts) and Debian's chromium. Chromium
// only unless GATEHOUSE_E2E_BROWSERS names others.
//
//   npx node --test test/e2e/invite.test.ts
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { companyWithRootMaster, inviteMail, invitedMember, operatorAgent, type SignedInCompany } from '../helpers/company-admin.ts';
import { ACME_REQUEST, STRONG_PASSWORD } from '../helpers/journey.ts';
import { type TestServer } from '../helpers/server.ts';
import { secretFromOtpauth } from '../helpers/totp.ts';
import { enginesFromEnv, launchBrowser, type BrowserPage } from './browsers/index.ts';
import { WAIT_TIMEOUT_MS } from './browsers/wait.ts';
import { currentStep, freshCode, JOURNEY_TIMEOUT_MS, readQrFromScreen, screenshots, type Shot } from './support.ts';
import { onHttpsGatehouse } from './stage.ts';
import { describeUserAgent } from '../../web/src/userAgent.ts';

const QR_IMAGE = 'img[alt="QR code for your authenticator app"]';
const RECOVERY_CODE = /\b[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{2}\b/g;
const INVITED = { email: 'mia@acme.test', username: 'mia', displayName: 'Mia Lee' };



// This file defaults to Chromium alone; GATEHOUSE_E2E_BROWSERS chooses as for the journey.
for (const engine of enginesFromEnv(process.env.GATEHOUSE_E2E_BROWSERS?.trim() || 'chromium')) {
  describe(`a Master invites a user in a real browser (${engine})`, () => {
    test('invite in the Company page, Sign Up from the mail, Set, log in, Set Up 2FA, recovery codes, Done, dashboard', { timeout: JOURNEY_TIMEOUT_MS }, async () => {
      await onHttpsGatehouse(engine, async ({ server, closeFirst }) => {
        const company = await companyWithRootMaster(server, await operatorAgent(server), ACME_REQUEST.companyName, ACME_REQUEST.email);
        // The helpers just used a code of this step (or an earlier one) to enroll.
        const enrolledStep = currentStep();
        const page = await launchBrowser(engine);
        closeFirst('closing the browser', () => page.close());
        await invite(server, company, enrolledStep, page, screenshots(page, `invite-${engine}`));
      });
    });
  });
}

async function invite(server: TestServer, company: SignedInCompany, enrolledStep: number, page: BrowserPage, shot: Shot) {
  const base = server.baseUrl;

  // The Master logs in (the helpers enrolled them) and opens Company from the header.
  await logIn(page, base, company.root.username, company.companyName);
  await page.waitForText('Two-Factor Authentication');
  const { code } = await freshCode(company.root.totpSecret, enrolledStep + 1);
  await page.fill('Authentication Code', code);
  await page.click('Verify');
  await page.waitForPath('/');
  await page.click('Company', 'link');
  await page.waitForPath('/company');
  await page.waitForText(company.root.username);
  await shot('master-company-users');

  // A member signed in elsewhere (over HTTP): the Master ends that session from Sessions.
  const member = await invitedMember(server, company, company.root.agent, { username: 'lee', role: 'user' });
  await page.click('Refresh');
  await page.click('Actions for lee');
  await page.click('Sessions', 'menuitem');
  await page.waitForText('Sessions of lee');
  await shot('master-user-sessions');
  // The button is named as a screen reader hears it: the browser, then the address.
  const [session] = (await company.root.agent.get(`/api/company/users/${member.id}/sessions`)).body.sessions;
  await page.click(`End the session in ${describeUserAgent(session.userAgent)} from ${session.ip ?? 'an unknown address'}`);
  await page.waitForText("lee's session in");
  assert.equal((await member.agent.get('/api/me')).status, 401, 'the ended session no longer works');

  // Invite User: email, username, display name; the role stays User.
  await page.click('Invite User');
  await page.waitForText('We email a Sign Up link');
  await page.fill('Email', INVITED.email);
  await page.fill('Username', INVITED.username);
  await page.fill('Display Name (optional)', INVITED.displayName);
  await shot('master-invite-dialog');
  await page.click('Send Invite');
  await page.waitForText(`Invitation sent to ${INVITED.email}`);
  // The list reloads after the notice: the new row, as Invited.
  await page.waitForText(new RegExp(`${INVITED.username}\\s+${INVITED.displayName}\\s+${INVITED.email}\\s+User\\s+Invited`));
  await page.waitForNoText('We email a Sign Up link');
  await shot('master-invited');

  const users = await company.root.agent.get('/api/company/users');
  const invited = users.body.users.find((u: { username: string }) => u.username === INVITED.username);
  assert.equal(invited?.status, 'invited', 'the server has the invitation');

  // The invite email's Sign Up link, opened after the Master logs out.
  // The outbox sends it after the request: waited for as long as any step on a busy machine.
  await server.mail.waitFor((m) => m.to.includes(INVITED.email), WAIT_TIMEOUT_MS);
  const { mail, link } = await inviteMail(server, company.companyName, INVITED.email);
  assert.ok(link.startsWith(`${base}/signup/`), `the Sign Up link points at Gatehouse: ${link}`);
  assert.ok(mail.html.includes(link), 'the HTML part carries the same link');
  await page.click('Log Out');
  await page.waitForPath('/login');

  await page.goto(link);
  const setPage = await page.waitForText('Set Your Password');
  assert.ok(setPage.includes(company.companyName) && setPage.includes(INVITED.username), 'the page says whose password this is');
  await page.fill('Password', STRONG_PASSWORD);
  await page.fill('Confirm Password', STRONG_PASSWORD);
  await shot('user-set-password');
  await page.click('Set');
  await page.waitForPath('/login');
  await page.waitForText('Your password is set. Log in to continue.');

  // First login: the password, then Your Security Matters and Set Up 2FA.
  await logIn(page, base, INVITED.username, company.companyName, false);
  await page.waitForText('Your Security Matters');
  await page.click('Get Started');
  await page.waitForText('Set Up 2FA');
  const uri = await readQrFromScreen(page, QR_IMAGE, shot, 'user-set-up-2fa-qr');
  const secret = secretFromOtpauth(uri);
  await page.click("Can't Scan");
  const withKey = await page.waitForText(/(?:[A-Z2-7]{4} ){7}[A-Z2-7]{4}/);
  assert.equal(/(?:[A-Z2-7]{4} ){7}[A-Z2-7]{4}/.exec(withKey)?.[0].replaceAll(' ', ''), secret, "Can't Scan shows the QR code's secret");
  const { code: first } = await freshCode(secret);
  await page.fill('Authentication Code', first);
  await page.click('Next');

  // Success: the ten recovery codes, once, and Done only after saying they are saved.
  const success = await page.waitForText('Save your recovery codes now.');
  assert.match(success, /\bSuccess\b/, 'the Success dialog');
  const codes = new Set(success.match(RECOVERY_CODE) ?? []);
  assert.equal(codes.size, 10, `ten distinct recovery codes are shown (saw ${[...codes].join(', ')})`);
  await shot('user-success-recovery-codes');
  await page.click('Download');
  await page.check('I have saved my recovery codes');
  await page.waitForControl('Done');
  await shot('user-success-saved');
  await page.click('Done');
  await page.waitForPath('/');
  await page.waitForText('Log Out');
  const dashboard = await page.waitForText(`Welcome, ${INVITED.displayName}`);
  assert.ok(dashboard.includes(company.companyName), 'the dashboard names the company');
  assert.match(dashboard, new RegExp(`Signed in as ${INVITED.username}\\b`), 'the dashboard names the user');
  await shot('user-dashboard');

  const after = await company.root.agent.get('/api/company/users');
  assert.equal(after.body.users.find((u: { username: string }) => u.username === INVITED.username)?.status, 'active', 'the user is active with 2FA');
}

/** The identifier-first login up to the step after the password. */
async function logIn(page: BrowserPage, base: string, username: string, companyName: string, fresh = true) {
  if (fresh) await page.goto(`${base}/login`);
  await page.waitForText('Company Name');
  await page.fill('Username', username);
  await page.fill('Company Name', companyName);
  await page.click('Next');
  await page.waitForText('Enter Your Password');
  await page.fill('Password', STRONG_PASSWORD);
  await page.click('Log In');
}

// The seed's journey in real browsers, once per engine, all through the UI: a company asks
// for an account, the first operator sets up their own login and approves it, the welcome
// email's Sign Up link sets the Root Master's password, the first login enrolls 2FA by
// reading the QR code off the screen, and the next login asks for the code. Then the
// dashboard's launcher opens the Demo Module in a pop-up, which signs in through Gatehouse
// with 2FA (launch-module.ts); in Chromium also with the pop-up blocked ("Open in this tab").
//
// Gatehouse is served over https with a throwaway certificate, so the `__Host-` Secure
// cookies work as in production (WebKit drops Secure cookies on http://localhost).
// Screenshots of every step go to test-output/screenshots/<engine>/.
//
// Needs the web app built (npx node scripts/build-web.ts) and Debian's chromium,
// firefox-esr, webkit2gtk-driver and xvfb; nothing is downloaded. A login that needs a TOTP
// step not used yet moves the stage's clock on to it rather than waiting (support.ts).
//
//   npx node --test test/e2e/journey.test.ts
//   GATEHOUSE_E2E_BROWSERS=chromium npx node --test test/e2e/journey.test.ts
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { firstOperatorSetup } from '../../src/companies/index.ts';
import { ACME_REQUEST, signUpLinkIn, STRONG_PASSWORD } from '../helpers/journey.ts';
import type { TestServer } from '../helpers/server.ts';
import { secretFromOtpauth } from '../helpers/totp.ts';
import { enginesFromEnv, launchBrowser, VIEWPORT, type BrowserPage } from './browsers/index.ts';
import { assertSignedInToDemo, DEMO_MODULE_NAME, launchFromDashboard, openInThisTabWhenBlocked, startGrantedDemoModule } from './launch-module.ts';
import type { DemoModule } from '../../examples/demo-module/server.ts';
import { WAIT_TIMEOUT_MS } from './browsers/wait.ts';
import { freshCode, JOURNEY_TIMEOUT_MS, readQrFromScreen, screenshots, type Shot, wrongCode } from './support.ts';
import { onHttpsGatehouse } from './stage.ts';

const QR_IMAGE = 'img[alt="QR code for your authenticator app"]';
const SESSION_COOKIE = '__Host-gh_session';
const CLOCK_HINT = "check that your phone's clock is set automatically";
const SAVED_RECOVERY_CODES = 'I have saved my recovery codes';

interface Person {
  username: string;
  companyName: string;
}

for (const engine of enginesFromEnv()) {
  describe(`the seed journey in a real browser (${engine})`, () => {
    test('request, approve, Sign Up, Set, log in, Set Up 2FA from the QR code, dashboard, log in again with the code, launch the Demo Module, sign in from the module logged out, log out from the module', { timeout: JOURNEY_TIMEOUT_MS }, async (t) => {
      await onHttpsGatehouse(engine, async ({ server, certificate, closeFirst }) => {
        assert.match(server.baseUrl, /^https:\/\/localhost:\d+$/);
        const page = await launchBrowser(engine);
        closeFirst('closing the browser', () => page.close());
        assert.deepEqual(await page.viewport(), VIEWPORT, 'the viewport is 1280x900');
        const shot = screenshots(page, engine);
        const note = (message: string) => t.diagnostic(message);
        const { rootMaster, secret, lastStep } = await journey(server, page, shot, note);

        // The dashboard's launcher opens a module the operator has granted to the company.
        const demo = await startGrantedDemoModule(server, certificate, rootMaster.companyName, (line) => note(`demo module: ${line}`));
        closeFirst('stopping the demo module', () => demo.close());
        await launchFromDashboard(page, server.baseUrl, demo, rootMaster, shot);
        // A pop-up blocker is simulated by stubbing window.open, the same in every engine;
        // one engine is enough for the fallback.
        if (engine === 'chromium') await openInThisTabWhenBlocked(page, server.baseUrl, demo, rootMaster, shot);
        // A sign-in the module starts, in a browser logged out of Gatehouse: the login page,
        // then back to the module (only a real browser keeps each cookie to its own path).
        await page.goto(`${server.baseUrl}/`);
        await page.waitForText('Log Out');
        await logOut(page, shot, 'root-master-before-module');
        await signInFromModule(page, demo, rootMaster, { secret, afterStep: lastStep, shot, note });
        // And the module's Log Out: Gatehouse's confirmation page, then back at the module,
        // logged out of both.
        await logOutFromModule(page, server.baseUrl, demo, shot);
      });
    });
  });
}

/** The seed's journey up to the Root Master's second login; returns the Root Master, their TOTP secret and the last time step used. */
async function journey(server: TestServer, page: BrowserPage, shot: Shot, note: (message: string) => void): Promise<{ rootMaster: Person; secret: string; lastStep: number }> {
  const base = server.baseUrl;
  const started = Date.now();

  // A company asks for an account on the public page.
  await page.goto(`${base}/request-account`);
  await page.waitForText('Request a company account');
  await page.fill('Company Name', ACME_REQUEST.companyName);
  await page.fill('Contact Name', ACME_REQUEST.contactName);
  await page.fill('Email', ACME_REQUEST.email);
  await page.fill('Phone', ACME_REQUEST.phone);
  await shot('request-form');
  await page.click('Submit Request');
  const received = await page.waitForText('Request received');
  assert.ok(received.includes(ACME_REQUEST.email), 'the confirmation names the address the welcome email goes to');
  await shot('request-received');

  // The first operator sets their password with the one-time link and logs in (2FA too).
  const setup = await firstOperatorSetup(server.gatehouse.deps);
  assert.ok(setup, 'no operator has signed up yet');
  assert.ok(setup.url.startsWith(`${base}/signup/`), setup.url);
  const operator: Person = { username: setup.username, companyName: setup.companyName };
  await setPassword(page, setup.url, operator, shot, 'operator');
  await firstLogIn(page, operator, shot, 'operator');

  // In the operator console, the operator approves the request.
  await page.click('Operator Console');
  await page.waitForPath('/operator');
  await page.waitForText(ACME_REQUEST.contactName);
  await page.waitForText('Showing 1 of 1');
  await shot('operator-requests');
  // The list's search asks the server: a name no request has, then a piece of Acme's.
  await page.fill('Search requests', 'Nowhere Ltd');
  await page.waitForText('No requests match “Nowhere Ltd”.');
  await page.fill('Search requests', 'acme');
  await page.waitForText(ACME_REQUEST.contactName);
  await page.click(`Approve ${ACME_REQUEST.companyName}`);
  await page.waitForText('Approve request');
  await page.waitForControl('Approve');
  await shot('operator-approve-dialog');
  await page.click('Approve');
  await page.waitForText(`Approved ${ACME_REQUEST.companyName}`);
  await page.waitForNoText('Approve request');
  await shot('operator-approved');
  await logOut(page, shot, 'operator');

  // The welcome email's Sign Up link.
  const mail = await server.mail.waitFor((m) => m.to.includes(ACME_REQUEST.email) && m.subject === 'Welcome to Gatehouse', WAIT_TIMEOUT_MS);
  const link = signUpLinkIn(mail.text);
  assert.ok(link.startsWith(`${base}/signup/`), `the Sign Up link points at Gatehouse: ${link}`);
  assert.ok(mail.html.includes(link), 'the HTML part carries the same Sign Up link');
  const rootMaster: Person = { username: 'dana', companyName: ACME_REQUEST.companyName };
  assert.ok(mail.text.includes(rootMaster.username), 'the welcome email names the username');

  await setPassword(page, link, rootMaster, shot, 'root-master');
  const { secret, enrolledAt } = await firstLogIn(page, rootMaster, shot, 'root-master');

  // The dashboard: who is signed in, in which company; the session cookie is __Host-, Secure.
  const cookies = await page.cookies();
  const session = cookies.find((c) => c.name === SESSION_COOKIE);
  assert.ok(session, `the browser keeps ${SESSION_COOKIE} (has: ${cookies.map((c) => c.name).join(', ') || 'none'})`);
  assert.equal(session.secure, true, 'Secure');
  assert.equal(session.httpOnly, true, 'HttpOnly');
  assert.equal(session.path, '/');

  await logOut(page, shot, 'root-master');
  const afterLogout = await page.cookies();
  assert.ok(!afterLogout.some((c) => c.name === SESSION_COOKIE), 'Log Out ends the session cookie');

  // Log in again: this time the Authentication Code step asks for the code.
  await identify(page, rootMaster, shot, 'root-master-again');
  await enterPassword(page);
  await page.waitForText('Two-Factor Authentication');
  await shot('root-master-login-code-step');
  await page.fill('Authentication Code', wrongCode(secret));
  await page.click('Verify');
  await page.waitForText(CLOCK_HINT);
  await shot('root-master-login-wrong-code');
  // The enrollment's code is used up: the next login needs a code from a later step.
  const { code, step: lastStep, movedMs } = await freshCode(secret, enrolledAt + 1);
  note(`moved ${(movedMs / 1000).toFixed(1)} s on to the TOTP step after the enrollment's (${((Date.now() - started) / 1000).toFixed(1)} s into the journey)`);
  await page.fill('Authentication Code', code);
  await page.click('Verify');
  await page.waitForPath('/');
  await assertDashboard(page, rootMaster);
  await shot('root-master-dashboard-again');
  assert.ok((await page.cookies()).some((c) => c.name === SESSION_COOKIE), 'signed in again');
  return { rootMaster, secret, lastStep };
}

/**
 * The module's own Log In with Gatehouse, in a browser with no Gatehouse session: the
 * module sends it to Gatehouse, which shows its login page; the login (the code of a time
 * step after `afterStep`) takes it back to the module, signed in with the second factor.
 */
async function signInFromModule(page: BrowserPage, demo: DemoModule, who: Person, { secret, afterStep, shot, note }: { secret: string; afterStep: number; shot: Shot; note: (message: string) => void }) {
  await page.goto(`${demo.url}/login`);
  await identify(page, who, shot, 'module-sign-in', true);
  await enterPassword(page);
  await page.waitForText('Two-Factor Authentication');
  const { code, movedMs } = await freshCode(secret, afterStep + 1);
  if (movedMs > 0) note(`module sign-in: moved ${(movedMs / 1000).toFixed(1)} s on to a TOTP step not used yet`);
  await page.fill('Authentication Code', code);
  await page.click('Verify');
  await assertSignedInToDemo(page, demo, who);
  await shot('module-signed-in-from-its-own-login');
}

/** The Sign Up link: "Set Your Password", Password and Confirm Password, Set, then /login. */
async function setPassword(page: BrowserPage, link: string, who: Person, shot: Shot, role: string) {
  await page.goto(link);
  const text = await page.waitForText('Set Your Password');
  assert.ok(text.includes(who.companyName) && text.includes(who.username), 'the page says whose password this is');
  await page.fill('Password', STRONG_PASSWORD);
  await page.fill('Confirm Password', STRONG_PASSWORD);
  await shot(`${role}-set-password`);
  await page.click('Set');
  await page.waitForPath('/login');
  await page.waitForText('Your password is set. Log in to continue.');
  await shot(`${role}-password-set`);
}

/**
 * The module's Log Out (RP-initiated logout): Gatehouse asks "Do you want to log out from
 * Demo Module and Gatehouse?"; Log Out ends the Gatehouse session too and sends the browser
 * back to the module, signed out there.
 */
async function logOutFromModule(page: BrowserPage, base: string, demo: DemoModule, shot: Shot) {
  await page.click('Log Out');
  await page.waitForText(`Do you want to log out from ${DEMO_MODULE_NAME} and Gatehouse?`);
  await page.waitForControl('Stay Logged In');
  await shot('module-log-out-confirmation');
  await page.click('Log Out');
  await page.waitForUrl(`${demo.url}/`);
  await page.waitForText('Log In with Gatehouse');
  await shot('module-logged-out');
  // Gatehouse's session ended with it: its dashboard asks for a login.
  await page.goto(`${base}/`);
  await page.waitForPath('/login');
  assert.ok(!(await page.cookies()).some((c) => c.name === SESSION_COOKIE), 'no Gatehouse session cookie left');
}

/** The login's first step, on /login (or, for a module's sign-in, on /login?return=<its resume>). */
async function identify(page: BrowserPage, who: Person, shot: Shot, role: string, forModule = false) {
  // A module's sign-in: the login returns to its resume.
  if (forModule) await page.waitForPathMatching(/^\/login\?return=%2Foidc%2Fauth%2F[\w-]+$/);
  else await page.waitForPath('/login');
  await page.waitForText('Company Name');
  await page.fill('Username', who.username);
  await page.fill('Company Name', who.companyName);
  await shot(`${role}-login-identify-step`);
  await page.click('Next');
  await page.waitForText('Enter Your Password');
}

async function enterPassword(page: BrowserPage) {
  await page.fill('Password', STRONG_PASSWORD);
  await page.click('Log In');
}

/** The first login: password, then Your Security Matters and Set Up 2FA; returns the secret. */
async function firstLogIn(page: BrowserPage, who: Person, shot: Shot, role: string) {
  await identify(page, who, shot, role);
  await shot(`${role}-login-password-step`);
  await enterPassword(page);
  await page.waitForText('Your Security Matters');
  await shot(`${role}-security-matters`);
  await page.click('Get Started');
  await page.waitForText('Set Up 2FA');

  // Read the QR code off the screen as a phone would.
  const uri = await readQrFromScreen(page, QR_IMAGE, shot, `${role}-set-up-2fa-qr`);
  const otpauth = new URL(uri);
  assert.equal(otpauth.protocol, 'otpauth:');
  assert.equal(otpauth.host, 'totp');
  assert.equal(otpauth.searchParams.get('issuer'), 'Gatehouse');
  const label = decodeURIComponent(otpauth.pathname.slice(1));
  assert.ok(label.includes(who.companyName), `the account label "${label}" names the company`);
  assert.ok(label.includes(who.username), `the account label "${label}" names the user`);
  const secret = secretFromOtpauth(uri);
  assert.match(secret, /^[A-Z2-7]{32}$/, '160-bit secret in base32');

  // Can't Scan shows the same secret, in groups of four.
  await page.click("Can't Scan");
  const withKey = await page.waitForText(/(?:[A-Z2-7]{4} ){7}[A-Z2-7]{4}/);
  const grouped = /(?:[A-Z2-7]{4} ){7}[A-Z2-7]{4}/.exec(withKey)?.[0] ?? '';
  assert.equal(grouped.replaceAll(' ', ''), secret, "Can't Scan shows the QR code's secret");
  await shot(`${role}-set-up-2fa-manual-key`);

  const { code, step } = await freshCode(secret);
  await page.fill('Authentication Code', code);
  await page.click('Next');
  const success = await page.waitForText('Your authenticator app is configured.');
  assert.match(success, /\bSuccess\b/, 'the Success dialog');
  // With recovery codes (shown this once), Done waits until the user says they are saved.
  if (success.includes(SAVED_RECOVERY_CODES)) await page.check(SAVED_RECOVERY_CODES);
  await page.waitForControl('Done');
  await shot(`${role}-success`);
  await page.click('Done');
  await page.waitForPath('/');
  await assertDashboard(page, who);
  await shot(`${role}-dashboard`);
  return { secret, enrolledAt: step };
}

async function assertDashboard(page: BrowserPage, who: Person) {
  await page.waitForText('Log Out');
  const text = await page.waitForText(who.companyName);
  assert.match(text, new RegExp(`\\b${who.username}\\b`), `the dashboard shows the username ${who.username}`);
}

async function logOut(page: BrowserPage, shot: Shot, role: string) {
  await page.click('Log Out');
  await page.waitForPath('/login');
  await page.waitForText('Company Name');
  await shot(`${role}-logged-out`);
}

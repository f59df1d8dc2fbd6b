// Accessibility in a real browser: axe-core's WCAG 2.2 A and AA rules on every page of the
// web app, at 1280 px and at 375 px, with its dialogs and menus open; a keyboard-only
// login; and the operator Mailbox's HTML view. One server and one Chromium tab walk the
// pages in sequence, each step reusing what the one before set up: a company asks for an
// account, the first operator signs up, enrolls and approves it, the Root Master signs up
// from the welcome mail, enrolls, and visits every signed-in page.
//
// Mail goes to the local mailbox (the embedded default), so the operator's Mailbox shows it.
// Served over https with a throwaway certificate, as in journey.test.ts. Needs the web app
// built (npx node scripts/build-web.ts) and Debian's chromium.
//
//   npx node --test test/e2e/accessibility.test.ts
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { firstOperatorSetup } from '../../src/companies/index.ts';
import { addProvider, changeSsoSettings, switchProvider } from '../../src/sso/index.ts';
import { ACME_REQUEST, signUpLinkIn, STRONG_PASSWORD } from '../helpers/journey.ts';
import { mailboxMail } from '../helpers/mailbox.ts';
import { storedTestModule, TEST_MODULE } from '../helpers/oidc.ts';
import { makeIdp } from '../helpers/saml-idp.ts';
import type { TestServer } from '../helpers/server.ts';
import { checkPage, describeViolations, DESKTOP, PHONE, settled, type Violation } from './axe.ts';
import { launchChromiumWithTab, type BrowserPage } from './browsers/index.ts';
import { keyboardLogin } from './keyboard.ts';
import { currentStep, freshCode, JOURNEY_TIMEOUT_MS, wrongCode } from './support.ts';
import { onHttpsGatehouse } from './stage.ts';

const QR_IMAGE = 'img[alt="QR code for your authenticator app"]';
const SAVED_RECOVERY_CODES = 'I have saved my recovery codes';
const MANUAL_KEY = /(?:[A-Z2-7]{4} ){7}[A-Z2-7]{4}/;
const RESET_LINK = /https?:\/\/\S+\/reset-password\/[A-Za-z0-9_-]+/;
const UNKNOWN_TOKEN = 'A'.repeat(43);
const INVITED = { email: 'mia@acme.test', username: 'mia' };

interface Person {
  username: string;
  companyName: string;
  secret?: string;
  enrolledStep?: number;
}

/** What the walk through the pages shares: the server, the tab, and everything axe found. */
interface Walk {
  server: TestServer;
  page: BrowserPage;
  tab: Page;
  violations: Violation[];
  checked: string[];
  operator?: Person;
  welcomeLink?: string;
}

describe('accessibility in a real browser (chromium)', () => {
  test('axe-core finds nothing on any page; a keyboard-only login; the Mailbox shows mail as sent', { timeout: JOURNEY_TIMEOUT_MS }, async (t) => {
    await onHttpsGatehouse(
      'chromium',
      async ({ server, closeFirst }) => {
        const launched = await launchChromiumWithTab();
        const page = launched.page;
        closeFirst('closing the browser', () => page.close());
        // axe judges each page at rest. The tab asks for less motion, as some users' systems
        // do, so dialogs open without a fade that axe could catch half-way.
        await launched.tab.emulateMedia({ reducedMotion: 'reduce' });
        const walk: Walk = { server, page, tab: launched.tab, violations: [], checked: [] };

        await t.test('every page and open state has no WCAG 2.2 A or AA violation at 1280 px and 375 px', async () => {
          await walkEveryPage(walk);
          t.diagnostic(`axe-core checked ${walk.checked.length} pages and states: ${walk.checked.join('; ')}`);
          assert.equal(walk.violations.length, 0, `axe-core found ${walk.violations.length} violations:\n\n${describeViolations(walk.violations)}`);
        });

        await t.test('the operator logs in with the keyboard alone: identify, a wrong password, the password, the code', async () => {
          const operator = walk.operator;
          assert.ok(operator?.secret && operator.enrolledStep !== undefined, 'the walk enrolled the operator');
          // The enrollment used its step's code: the login needs one from a later step.
          const { code } = await freshCode(operator.secret, operator.enrolledStep + 1);
          await keyboardLogin(walk.tab, walk.server.baseUrl, { ...operator, password: STRONG_PASSWORD, code });
        });

        await t.test("the operator's Mailbox shows the welcome mail's HTML in a sandbox, and its plain text", async () => {
          await mailboxHtmlView(walk);
        });
      },
      { mailbox: true },
    );
  });
});

async function walkEveryPage(walk: Walk) {
  const { server, page, tab } = walk;
  const base = server.baseUrl;
  const check = async (name: string, widths?: Parameters<typeof checkPage>[2]) => {
    walk.checked.push(name);
    walk.violations.push(...(await checkPage(tab, name, widths)));
  };

  // Public pages: the login's first step, Forgot company name, Request an account.
  await page.goto(`${base}/login`);
  await page.waitForText('Enter your username and the name of your company.');
  await check('login: identify');
  await page.click('Forgot company name?');
  await page.waitForText('Forgot Company Name');
  await check('login: forgot company name');
  await page.click('Back to Log In');
  await page.click('Request a company account', 'link');
  await page.waitForText('Request a company account');
  await check('request an account');
  await page.fill('Company Name', ACME_REQUEST.companyName);
  await page.fill('Contact Name', ACME_REQUEST.contactName);
  await page.fill('Email', ACME_REQUEST.email);
  await page.fill('Phone', ACME_REQUEST.phone);
  await page.click('Submit Request');
  await page.waitForText('Request received');
  await check('request an account: received');

  // The first operator signs up with the one-time link, then logs in and enrolls.
  const setup = await firstOperatorSetup(server.gatehouse.deps);
  assert.ok(setup, 'no operator has signed up yet');
  const operator: Person = { username: setup.username, companyName: setup.companyName };
  walk.operator = operator;
  await setPassword(page, setup.url);
  await identify(page, operator);
  await check('login: password');
  await page.click('Forgot password?');
  await page.waitForText('Forgot Password');
  await check('login: forgot password');
  await page.click('Back to Log In');
  await enterPassword(page);
  Object.assign(operator, await enroll(page, check));
  await check('dashboard (operator)');
  // The header's menu exists at phone width only.
  await tab.setViewportSize(PHONE);
  await page.click('Menu');
  await page.waitForControl('My Settings', 'link');
  await check('header menu open', [PHONE]);
  await tab.keyboard.press('Escape');
  await tab.setViewportSize(DESKTOP);

  // The operator console, every tab, with the approve dialog and a message open.
  await page.goto(`${base}/operator`);
  await page.waitForText(ACME_REQUEST.contactName);
  await check('operator console: Requests');
  await page.click(`Approve ${ACME_REQUEST.companyName}`);
  assert.equal(await openingDialogOpacity(tab), '1', 'asked for less motion, the dialog opens without fading in');
  await page.waitForText('Approve request');
  await page.waitForControl('Approve');
  await check('operator console: Approve dialog');
  await page.click('Approve');
  await page.waitForText(`Approved ${ACME_REQUEST.companyName}`);
  await page.waitForNoText('Approve request');
  await page.click('New Request');
  await page.waitForText('New company account request');
  await check('operator console: New request dialog');
  await tab.keyboard.press('Escape');
  await page.waitForNoText('New company account request');
  await storedTestModule(server);
  for (const [name, shows] of [['Companies', ACME_REQUEST.companyName], ['Modules', TEST_MODULE.name], ['Audit Log', 'Filter'], ['MFA Compliance', '%']] as const) {
    await page.click(name, 'tab');
    await page.waitForText(shows);
    await check(`operator console: ${name}`);
    if (name !== 'Modules') continue;
    await page.click('Register Module');
    await page.waitForText('Launch URL');
    await page.waitForControl('Cancel');
    await check('operator console: Register Module dialog');
    await tab.keyboard.press('Escape');
    await page.waitForNoText('Launch URL');
    // A registered module's Edit: Register's fields, filled in from the module.
    await page.click(`Edit ${TEST_MODULE.name}`);
    await page.waitForText('Launch URL');
    await page.waitForControl('Cancel');
    await check('operator console: Edit Module dialog');
    await tab.keyboard.press('Escape');
    await page.waitForNoText('Launch URL');
  }
  await page.click('API Clients', 'tab');
  await page.waitForText('No API clients yet.');
  await check('operator console: API Clients');
  await page.click('New API Client');
  await page.waitForControl('Create API Client');
  await check('operator console: New API Client dialog');
  await tab.keyboard.press('Escape');
  await page.waitForNoText('Create API Client');
  await page.click('Mailbox', 'tab');
  await page.waitForText('Welcome to Gatehouse');
  await check('operator console: Mailbox');
  await page.click('Welcome to Gatehouse');
  await tab.frameLocator('iframe[title^="Message:"]').getByRole('link', { name: 'Sign Up' }).waitFor();
  await check('operator console: Mailbox message open');
  await tab.keyboard.press('Escape');
  await logOut(page);

  // The Root Master signs up from the welcome mail; the used link then shows its own page.
  const welcome = await mailboxMail(server, (m) => m.to.includes(ACME_REQUEST.email) && m.subject === 'Welcome to Gatehouse');
  walk.welcomeLink = signUpLinkIn(welcome.text);
  const rootMaster: Person = { username: 'dana', companyName: ACME_REQUEST.companyName };
  await page.goto(walk.welcomeLink);
  await page.waitForText('Set Your Password');
  await check('sign up: new password (from the welcome mail)');
  await page.fill('Password', STRONG_PASSWORD);
  await page.fill('Confirm Password', STRONG_PASSWORD);
  await page.click('Set');
  await page.waitForPath('/login');
  await page.waitForText('Your password is set. Log in to continue.');
  await check('login: identify with a notice');
  await page.goto(walk.welcomeLink);
  await page.waitForText('This link can no longer be used');
  await check('sign up: a used link');

  await page.goto(`${base}/login`);
  await identify(page, rootMaster);
  await enterPassword(page);
  Object.assign(rootMaster, await enroll(page));
  await check('dashboard (Root Master)');

  // My Settings, with a dialog open.
  await page.click('My Settings', 'link');
  await page.waitForText('Sessions');
  await check('my settings');
  await page.click('Reset Two-Factor Authentication');
  await page.waitForControl('Reset 2FA');
  await check('my settings: reset 2FA dialog');
  await tab.keyboard.press('Escape');

  // Company administration, every tab, with a dialog and a menu open.
  await page.click('Company', 'link');
  await page.waitForText('Invite User');
  await page.waitForText(rootMaster.username);
  await check('company admin: Users');
  await page.click('Invite User');
  await page.waitForControl('Send Invite');
  await check('company admin: Invite User dialog');
  // An invited user has a row with an Actions menu (a Master has none for themselves).
  await page.fill('Email', INVITED.email);
  await page.fill('Username', INVITED.username);
  await page.click('Send Invite');
  await page.waitForNoText('We email a Sign Up link.');
  await page.click(`Actions for ${INVITED.username}`);
  await tab.getByRole('menu').waitFor();
  await check('company admin: user actions menu');
  await tab.keyboard.press('Escape');
  await page.click('Bulk Invite');
  await page.waitForText('Bulk Invite');
  await check('company admin: Bulk Invite dialog');
  await tab.keyboard.press('Escape');
  // Groups: none, the New Group dialog, then a group with its member and module controls.
  await page.click('Groups', 'tab');
  await page.waitForText('No groups yet');
  await check('company admin: Groups (none)');
  await page.click('New Group');
  await page.waitForControl('Create Group');
  await check('company admin: New Group dialog');
  await page.fill('Group Name', 'Service Desk');
  await page.click('Create Group');
  await page.waitForControl('Rename Service Desk');
  await check('company admin: Groups with a group');
  for (const [name, shows] of [['Approvals', 'No 2FA resets are waiting for approval.'], ['Security Policy', 'Save Policy'], ['Audit Log', 'Filter'], ['MFA Compliance', '%']] as const) {
    await page.click(name, 'tab');
    await page.waitForText(shows);
    await check(`company admin: ${name}`);
  }
  // Single Sign-On: the values for the provider, and the Add Provider dialog.
  await page.click('Single Sign-On', 'tab');
  await page.waitForText('What to Give Your Identity Provider');
  await check('company admin: Single Sign-On');
  await page.click('Add Provider');
  await page.waitForControl('Save Provider');
  await check('company admin: Add Identity Provider dialog');
  await tab.keyboard.press('Escape');
  await page.waitForNoText('Signing Certificates');
  // API Clients: the New API Client dialog, the secret shown once, and the list with a row.
  await page.click('API Clients', 'tab');
  await page.waitForText('No API clients yet.');
  await check('company admin: API Clients (none)');
  await page.click('New API Client');
  await page.waitForControl('Create API Client');
  await check('company admin: New API Client dialog');
  await page.fill('Name', 'PSA sync');
  await page.check('users:read');
  await page.click('Create API Client');
  // Handing out a secret asks for proof first: the password and a code of a later step.
  await page.waitForText('Its secret acts with the scopes you chose');
  await check('company admin: Create API client, confirm it is you');
  assert.ok(rootMaster.secret && rootMaster.enrolledStep !== undefined, 'the walk enrolled the Root Master');
  await page.fill('Password', STRONG_PASSWORD);
  const proof = await freshCode(rootMaster.secret, rootMaster.enrolledStep + 1);
  rootMaster.enrolledStep = proof.step;
  await page.fill('Authentication Code', proof.code);
  await page.click('Create API Client');
  await page.waitForText('Copy the client secret now.');
  await page.waitForControl('Done');
  await check('company admin: API client secret dialog');
  await page.click('Done');
  await page.waitForNoText('Copy the client secret now.');
  await page.waitForControl('Rotate Secret for PSA sync');
  await check('company admin: API Clients (one)');
  await page.click('Delete PSA sync');
  await page.waitForControl('Delete');
  await check('company admin: Delete API client dialog');
  await tab.keyboard.press('Escape');

  await page.goto(`${base}/no-such-page`);
  await page.waitForText('Page not found');
  await check('not found');

  // The code step, right and wrong; then Forgot password from there to a real reset link.
  await logOutFrom(page, base);
  await identify(page, rootMaster);
  await enterPassword(page);
  await page.waitForText('Two-Factor Authentication');
  await check('login: TOTP');
  await page.fill('Authentication Code', wrongCode(rootMaster.secret as string));
  await page.click('Verify');
  // A refused code is the field's one message (with the server's advice), not a page alert.
  await page.waitForText("That code didn't work");
  await check('login: TOTP with an error');
  await page.click('Not you? Change user');
  await identify(page, rootMaster);
  await page.click('Forgot password?');
  await page.waitForText('Forgot Password');
  await page.click('Send Reset Link');
  await page.waitForText('Check Your Email');
  await check('login: forgot password sent');
  const reset = await mailboxMail(server, (m) => m.to.includes(ACME_REQUEST.email) && m.subject === 'Reset your Gatehouse password');
  const resetLink = RESET_LINK.exec(reset.text)?.[0];
  assert.ok(resetLink, 'the reset mail carries a link');
  await page.goto(resetLink);
  await page.waitForText('Reset Your Password');
  await check('reset password');
  await page.goto(`${base}/reset-password/${UNKNOWN_TOKEN}`);
  await page.waitForText('This link can no longer be used');
  await check('reset password: an unusable link');
  // The email change links ask before they act, then say the link is no use.
  for (const [path, button] of [['confirm-email', 'Confirm'], ['cancel-email', 'Cancel Change']] as const) {
    await page.goto(`${base}/${path}/${UNKNOWN_TOKEN}`);
    await page.waitForControl(button);
    await check(`${path}`);
    await page.click(button);
    await page.waitForText('This link can no longer be used');
    await check(`${path}: an unusable link`);
  }

  // Last, as it changes how the company signs in: a provider switched on, and the login's
  // single sign-on step. The provider is set up server side (the Single Sign-On tab was
  // checked above; a Test sign-in needs a provider round trip this walk has no use for).
  await switchOnProvider(server, rootMaster.username);
  // A fresh browser: the walk left an unfinished login behind, which /login would resume.
  await tab.context().clearCookies();
  await page.goto(`${base}/login`);
  await page.waitForText('Company Name');
  await page.fill('Username', rootMaster.username);
  await page.fill('Company Name', rootMaster.companyName);
  await page.click('Next');
  await page.waitForText('Sign In With Your Company Account');
  await page.waitForControl('Continue to Acme Entra ID');
  await check('login: single sign-on step');
  await tab.context().clearCookies();
  await page.goto(`${base}/login?sso=failed`);
  await page.waitForText("Signing in with your company's identity provider did not work.");
  await check('login: back from the provider without a sign-in');
}

/** A SAML provider for the Root Master's company, tested, switched on, the Root Master break-glass. */
async function switchOnProvider(server: TestServer, username: string) {
  const { deps } = server.gatehouse;
  const root = await deps.db.selectFrom('users').select(['id', 'company_id']).where('username', '=', username).where('role', '=', 'root_master').executeTakeFirstOrThrow();
  const who = { companyId: root.company_id, userId: root.id };
  const meta = { ip: null, userAgent: null };
  const idp = makeIdp();
  const provider = await addProvider(deps, who, {
    kind: 'saml', name: 'Acme Entra ID', entityId: idp.entityId, ssoUrl: idp.ssoUrl, certificates: [idp.certificate], usernameAttribute: 'NameID', trustProviderMfa: false,
  }, meta);
  await deps.db.updateTable('sso_providers').set({ tested_at: deps.clock() }).where('id', '=', provider.id).execute();
  await changeSsoSettings(deps, who, { mode: 'sso-plus-password', breakGlassUserIds: [root.id] }, meta);
  await switchProvider(deps, who, provider.id, true, meta);
}

async function setPassword(page: BrowserPage, link: string) {
  await page.goto(link);
  await page.waitForText('Set Your Password');
  await page.fill('Password', STRONG_PASSWORD);
  await page.fill('Confirm Password', STRONG_PASSWORD);
  await page.click('Set');
  await page.waitForPath('/login');
  await page.waitForText('Your password is set. Log in to continue.');
}

async function identify(page: BrowserPage, who: Person) {
  await page.waitForPath('/login');
  await page.waitForText('Company Name');
  await page.fill('Username', who.username);
  await page.fill('Company Name', who.companyName);
  await page.click('Next');
  await page.waitForText('Enter Your Password');
}

async function enterPassword(page: BrowserPage) {
  await page.fill('Password', STRONG_PASSWORD);
  await page.click('Log In');
}

/** The first login's 2FA set-up, checking each of its states when `check` is given. */
async function enroll(page: BrowserPage, check?: (name: string) => Promise<void>) {
  await page.waitForText('Your Security Matters');
  await check?.('enrollment: Your Security Matters');
  await page.click('Get Started');
  await page.waitForText('Set Up 2FA');
  await page.scrollTo(QR_IMAGE);
  await check?.('enrollment: QR code');
  await page.click("Can't Scan");
  const secret = (MANUAL_KEY.exec(await page.waitForText(MANUAL_KEY))?.[0] ?? '').replaceAll(' ', '');
  await check?.("enrollment: Can't Scan secret");
  const { code, step } = await freshCode(secret);
  await page.fill('Authentication Code', code);
  await page.click('Next');
  await page.waitForText('Your authenticator app is configured.');
  await check?.('enrollment: Success dialog with recovery codes');
  await page.check(SAVED_RECOVERY_CODES);
  await page.waitForControl('Done');
  await page.click('Done');
  await page.waitForPath('/');
  await page.waitForText('Log Out');
  return { secret, enrolledStep: Math.max(step, currentStep()) };
}

async function logOut(page: BrowserPage) {
  await page.click('Log Out');
  await page.waitForPath('/login');
  await page.waitForText('Company Name');
}

async function logOutFrom(page: BrowserPage, base: string) {
  await page.goto(`${base}/`);
  await logOut(page);
}

/** The Welcome to Gatehouse message in the operator's Mailbox: HTML in a sandbox, then plain text. */
async function mailboxHtmlView(walk: Walk) {
  const { page, tab, server } = walk;
  await page.goto(`${server.baseUrl}/operator?tab=mailbox`);
  await page.click('Welcome to Gatehouse');
  const frame = tab.locator('iframe[title="Message: Welcome to Gatehouse"]');
  await frame.waitFor();
  const sandbox = (await frame.getAttribute('sandbox')) ?? '';
  const allowed = sandbox.split(/\s+/).filter(Boolean);
  assert.ok(await frame.evaluate((element) => element.hasAttribute('sandbox')), 'the frame is sandboxed');
  assert.ok(!allowed.includes('allow-scripts'), `no scripts run in the mail (sandbox="${sandbox}")`);
  assert.ok(!allowed.includes('allow-same-origin'), `the mail has an opaque origin, away from the console's session (sandbox="${sandbox}")`);
  const button = tab.frameLocator('iframe[title="Message: Welcome to Gatehouse"]').getByRole('link', { name: 'Sign Up', exact: true });
  await button.waitFor({ state: 'visible' });
  assert.ok(await button.isVisible(), 'the Sign Up button shows inside the frame');
  const href = await button.getAttribute('href');
  assert.equal(href, walk.welcomeLink, 'the button links to the Sign Up page the text part names');

  await page.clickText('Plain text');
  await frame.waitFor({ state: 'detached' });
  const text = await page.waitForText('The plain-text part of the same message.');
  const welcome = await mailboxMail(server, (m) => m.subject === 'Welcome to Gatehouse');
  for (const line of welcome.text.split('\n').map((l) => l.trim()).filter(Boolean)) {
    assert.ok(text.includes(line), `the plain-text view shows "${line}"`);
  }
  await settled(tab);
}

/**
 * The opacity of a dialog in the first frame it is drawn in (a dialog that fades in starts
 * at 0 and is still below 1 for a few frames after).
 */
async function openingDialogOpacity(tab: Page) {
  const opacity = await tab.waitForFunction(() => {
    const page = globalThis as any;
    const dialog = page.document.querySelector('[role="dialog"]');
    return dialog ? (page.getComputedStyle(dialog).opacity as string) : undefined;
  });
  return opacity.jsonValue();
}

// The first login of a new company's Root Master with the keyboard alone, in Chromium:
// log in, Your Security Matters, Set Up 2FA with the key read through Can't Scan, the code,
// the Success dialog's recovery codes, Done, the dashboard. Tab, Shift+Tab, Enter, Space
// and typing, never a click. Each step asserts where focus lands (the step's heading or
// first field; inside the dialog while it is open) and that every control Tab stops on
// shows focus (keyboard.ts). The company is requested, approved and signed up over HTTP
// with the test helpers, over https as in journey.test.ts.
//
// Needs the web app built (npx node scripts/build-web.ts) and Debian's chromium.
//
//   npx node --test test/e2e/keyboard-enrollment.test.ts
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { operatorAgent } from '../helpers/company-admin.ts';
import { ACME_REQUEST, approvedCompany, signUp, STRONG_PASSWORD } from '../helpers/journey.ts';
import { launchChromiumWithTab } from './browsers/index.ts';
import { expectFocus, expectHeadingFocus, tabTo } from './keyboard.ts';
import { freshCode, JOURNEY_TIMEOUT_MS } from './support.ts';
import { onHttpsGatehouse } from './stage.ts';

const MANUAL_KEY = /(?:[A-Z2-7]{4} ){7}[A-Z2-7]{4}/;
const SAVED = 'input I have saved my recovery codes';

describe('a first login with the keyboard alone (chromium)', () => {
  test("log in, Your Security Matters, Can't Scan, the code, recovery codes saved, Done, dashboard", { timeout: JOURNEY_TIMEOUT_MS }, async () => {
    await onHttpsGatehouse('chromium', async ({ server, closeFirst }) => {
      const company = await approvedCompany(server, await operatorAgent(server));
      await signUp(server, company.link);
      const launched = await launchChromiumWithTab();
      closeFirst('closing the browser', () => launched.page.close());
      await keyboardEnrollment(launched.tab, server.baseUrl, { username: company.username, companyName: ACME_REQUEST.companyName });
    });
  });
});

async function keyboardEnrollment(tab: Page, base: string, who: { username: string; companyName: string }) {
  await tab.goto(`${base}/login`);

  // Identify and password, as in the enrolled login (keyboard.ts), without the detours.
  await expectFocus(tab, 'input username', 'the login page opens');
  await tab.keyboard.type(who.username);
  await tab.keyboard.press('Tab');
  await expectFocus(tab, 'input companyName', 'Tab from Username');
  await tab.keyboard.type(who.companyName);
  await tabTo(tab, 'button Next');
  await tab.keyboard.press('Enter');
  await tab.getByText('Enter Your Password').waitFor();
  await expectFocus(tab, 'input password', 'the password step opens');
  await tab.keyboard.type(STRONG_PASSWORD);
  await tab.keyboard.press('Enter');

  // Your Security Matters: the heading has focus (the password field is gone); Tab reaches
  // Get Started, and Enter presses it.
  await expectHeadingFocus(tab, 'Your Security Matters', 'the password was right, and 2FA is not set up');
  await tabTo(tab, 'button Get Started');
  await tab.keyboard.press('Enter');

  // Set Up 2FA: its heading has focus; Tab reaches Can't Scan, Space opens it, and the key shows.
  await expectHeadingFocus(tab, 'Set Up 2FA', 'after Get Started');
  await tabTo(tab, "button Can't Scan");
  await tab.keyboard.press('Space');
  const cantScan = tab.getByRole('button', { name: "Can't Scan" });
  await tab.getByText(MANUAL_KEY).waitFor();
  assert.equal(await cantScan.getAttribute('aria-expanded'), 'true', "Can't Scan says it is open");
  await expectFocus(tab, "button Can't Scan", 'opening the key leaves focus where it was');
  const grouped = MANUAL_KEY.exec(await tab.locator('body').innerText())?.[0];
  assert.ok(grouped, 'the key shows in groups of four');
  const secret = grouped.replaceAll(' ', '');

  // Tab goes on through the key's Copy button to the code field; Enter sends the code.
  await tabTo(tab, 'input code', 4);
  const { code } = await freshCode(secret);
  await tab.keyboard.type(code);
  await tab.keyboard.press('Enter');

  // Success: focus moves into the dialog, to its first control (Download, for the codes),
  // and Tab and Shift+Tab stay inside it. Done is disabled until the codes are saved, so
  // Shift+Tab wraps round to the box; Space ticks it and Tab reaches Done.
  const dialog = tab.getByRole('dialog', { name: 'Success' });
  await dialog.getByText('Your authenticator app is configured.').waitFor();
  await expectFocusInDialog(tab, 'button Download', 'the dialog opens');
  assert.equal(await dialog.getByRole('button', { name: 'Done' }).isDisabled(), true, 'Done waits for the recovery codes to be saved');
  await tab.keyboard.press('Shift+Tab');
  await expectFocusInDialog(tab, SAVED, 'Shift+Tab from the first control wraps to the last');
  await tab.keyboard.press('Space');
  assert.equal(await dialog.getByRole('checkbox', { name: 'I have saved my recovery codes' }).isChecked(), true, 'Space ticks the box');
  await tab.keyboard.press('Tab');
  await expectFocusInDialog(tab, 'button Done', 'Tab from the ticked box');
  await tab.keyboard.press('Tab');
  await expectFocusInDialog(tab, 'button Download', 'Tab from the last control wraps to the first');
  await tab.keyboard.press('Shift+Tab');
  await expectFocusInDialog(tab, 'button Done', 'Shift+Tab back to Done');
  await tab.keyboard.press('Enter');

  // The dashboard: the first Tab starts at the top, at the home link in the header.
  await tab.waitForURL(`${base}/`);
  await tab.getByText('Log Out').waitFor();
  await tab.keyboard.press('Tab');
  await expectFocus(tab, 'a Gatehouse home', 'the first Tab on the dashboard');
}

/** Waits until `what` has focus and shows it (keyboard.ts), and checks it is inside the open dialog. */
async function expectFocusInDialog(tab: Page, what: string, why: string) {
  await expectFocus(tab, what, why);
  const inside = await tab.evaluate(() => Boolean((globalThis as any).document.activeElement?.closest('[role="dialog"]')));
  assert.ok(inside, `${why}: "${what}" has focus, but outside the dialog`);
}

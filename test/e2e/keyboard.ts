// A login with the keyboard alone, in Chromium: Tab, Shift+Tab, Enter, Space and typing,
// never a click. Each step asserts where focus lands (where a user expects it) and that
// the focused control shows it (an outline, a ring, or a field's focus border).
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { waitUntil } from './browsers/wait.ts';

interface Focused {
  /** Tag, and the field's name, label or text: "input username", "button Next", "h1 Set Up 2FA". */
  what: string;
  value: string;
  /** How focus shows (what differs from the unfocused look), or null if nothing does. */
  indicator: string | null;
}

/**
 * What has focus now, and how it is shown: the styles of the focused element and its
 * nearest ancestors (a field's border is often on its wrapper) are compared with the same
 * styles while it is not focused, once transitions have ended. Runs in the page
 * (serialized: nothing from module scope); the project compiles without the DOM library,
 * so the page is `any`.
 */
async function focusedInPage(): Promise<Focused> {
  const page = globalThis as any;
  const element = page.document.activeElement;
  if (!element || element === page.document.body) return { what: 'nothing', value: '', indicator: null };
  // A checkbox has no name of its own to go by here: its label says which one it is.
  const label: string | undefined = element.labels?.[0]?.textContent?.trim() || undefined;
  const name: string = element.getAttribute('name') ?? element.getAttribute('aria-label') ?? label ?? element.textContent?.trim() ?? '';
  const isInput = element.tagName === 'INPUT';
  const chain: any[] = [];
  for (let node = element; node && chain.length < 4; node = node.parentElement) chain.push(node);
  const still = () => Promise.all(page.document.getAnimations().map((a: any) => a.finished.catch(() => {})));
  const look = () =>
    chain.map((node) => {
      const s = page.getComputedStyle(node);
      return `outline ${s.outlineStyle} ${s.outlineWidth} ${s.outlineColor}; box-shadow ${s.boxShadow}; border ${s.borderColor}`;
    });
  await still();
  const focusedLook = look();
  element.blur();
  await still();
  const restingLook = look();
  element.focus({ preventScroll: true });
  await still();
  const changed = focusedLook.findIndex((style, i) => style !== restingLook[i]);
  const indicator = changed < 0 ? null : `${changed === 0 ? 'itself' : `ancestor ${changed}`}: ${focusedLook[changed]}`;
  return { what: `${element.tagName.toLowerCase()} ${name}`, value: isInput ? element.value : '', indicator };
}

export async function focused(tab: Page): Promise<Focused> {
  return tab.evaluate(focusedInPage);
}

/** Waits until focus is on `what` (as focusedInPage names it) and it shows; returns it. */
export async function expectFocus(tab: Page, what: string, why: string): Promise<Focused> {
  let last = '';
  const now = await waitUntil(`focus on "${what}" (${why})`, async () => {
    const current = await focused(tab);
    last = current.what;
    return current.what === what ? current : undefined;
  }, { why: () => `focus is on "${last}"` });
  assert.ok(now.indicator, `${why}: "${what}" has focus but nothing shows it (no outline, ring or focus border)`);
  return now;
}

/**
 * Waits until a step's heading has focus (the app moves it there when a step replaces the
 * control that had it). A heading is where reading starts, not a control: it shows no ring,
 * and Tab goes on from it to the step's first control, which must show focus.
 */
export async function expectHeadingFocus(tab: Page, heading: string, why: string) {
  let last = '';
  await waitUntil(`focus on the heading "${heading}" (${why})`, async () => {
    last = (await focused(tab)).what;
    return /^h[1-6] /.test(last) && last.slice(3) === heading ? true : undefined;
  }, { why: () => `focus is on "${last}"` });
}

/** Presses Tab until `what` has focus (at most `limit` times); every stop on the way must show focus. */
export async function tabTo(tab: Page, what: string, limit = 6) {
  const path: string[] = [];
  for (let i = 0; i < limit; i++) {
    await tab.keyboard.press('Tab');
    const now = await focused(tab);
    path.push(now.what);
    assert.ok(now.indicator, `Tab reached "${now.what}", which does not show focus`);
    if (now.what === what) return;
  }
  assert.fail(`"${what}" is not reachable with Tab: ${path.join(' → ')}`);
}

export async function keyboardLogin(
  tab: Page,
  base: string,
  who: { username: string; companyName: string; password: string; code: string },
) {
  // A new visitor: no session, no login under way.
  await tab.context().clearCookies();
  await tab.goto(`${base}/login`);

  // Identify: the first field has focus; Tab moves on to the next field, then to Next.
  await expectFocus(tab, 'input username', 'the login page opens');
  await tab.keyboard.type(who.username);
  await tab.keyboard.press('Tab');
  await expectFocus(tab, 'input companyName', 'Tab from Username');
  await tab.keyboard.type(who.companyName);
  await tab.keyboard.press('Tab');
  await expectFocus(tab, 'button Next', 'Tab from Company Name');
  await tab.keyboard.press('Shift+Tab');
  const back = await expectFocus(tab, 'input companyName', 'Shift+Tab from Next');
  assert.equal(back.value, who.companyName, 'going back keeps what was typed');
  await tab.keyboard.press('Tab');
  await tab.keyboard.press('Enter');

  // Password: the field has focus. A wrong one is announced (role=alert) and focus returns, cleared.
  await tab.getByText('Enter Your Password').waitFor();
  await expectFocus(tab, 'input password', 'the password step opens');
  await tab.keyboard.type(`${who.password}-wrong`);
  await tab.keyboard.press('Enter');
  const alert = tab.getByRole('alert');
  await alert.waitFor();
  assert.match((await alert.textContent()) ?? '', /\S/, 'the alert says what went wrong');
  const cleared = await expectFocus(tab, 'input password', 'after a wrong password');
  assert.equal(cleared.value, '', 'the wrong password is cleared for the next attempt');
  await tab.keyboard.type(who.password);
  // Log In is reachable with Tab (past the show-password toggle) and pressed with Space.
  await tabTo(tab, 'button Log In');
  await tab.keyboard.press('Space');

  // The code: its field has focus; Enter sends it, and the dashboard opens.
  await tab.getByText('Two-Factor Authentication').waitFor();
  await expectFocus(tab, 'input code', 'the code step opens');
  await tab.keyboard.type(who.code);
  await tab.keyboard.press('Enter');
  await tab.waitForURL(`${base}/`);
  await tab.getByText('Log Out').waitFor();
  // The first Tab on the dashboard starts at the top: the home link in the header.
  await tab.keyboard.press('Tab');
  await expectFocus(tab, 'a Gatehouse home', 'the first Tab on the dashboard');
  await tabTo(tab, 'button Log Out', 8);
}

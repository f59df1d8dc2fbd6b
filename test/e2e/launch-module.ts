// The journey's last part: the company's Root Master opens a module from the dashboard's
// launcher. The module is the Demo Module (examples/demo-module), started here on a free
// loopback port over plain http, registered by the operator as a confidential module and
// granted to the company. Its tile opens it in a new window, where it signs in through
// Gatehouse without asking (the browser has the Gatehouse session) and shows who signed
// in and that the login used the second factor (`amr` includes "otp").
//
// Gatehouse runs over https with the test's self-signed certificate: the browser accepts
// it (acceptInsecureCerts), and the demo's own calls to Gatehouse trust it through the
// demo's `ca` option.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startDemoModule, type DemoModule } from '../../examples/demo-module/server.ts';
import { findCompanyByName } from '../../src/companies/index.ts';
import { grantModule, registerModule } from '../../src/modules/index.ts';
import type { TestServer } from '../helpers/server.ts';
import type { TestCertificate } from '../helpers/tls.ts';
import type { BrowserPage } from './browsers/index.ts';
import { freePort } from './browsers/util.ts';
import { NAVIGATION_TIMEOUT_MS } from './browsers/wait.ts';
import type { Shot } from './support.ts';

export const DEMO_MODULE_NAME = 'Demo Module';
const OPEN_TILE = `Open ${DEMO_MODULE_NAME}`;
/** Sign-in is a few redirects through Gatehouse and back, with a code exchange in between: a navigation's deadline. */
const SIGN_IN_TIMEOUT_MS = NAVIGATION_TIMEOUT_MS;

interface Who {
  username: string;
  companyName: string;
}

/**
 * Starts the demo on a free loopback port and, as an operator does in the console
 * (Modules > Register, then Companies > Modules > Grant), registers it with that
 * port's callback and grants it to the company. The caller closes the demo.
 */
export async function startGrantedDemoModule(
  server: TestServer,
  certificate: TestCertificate,
  companyName: string,
  log: (line: string) => void,
): Promise<DemoModule> {
  const { deps } = server.gatehouse;
  const company = await findCompanyByName(deps.db, companyName);
  assert.ok(company, `the company ${companyName} exists`);
  // 127.0.0.1 rather than localhost: plain http on loopback, as Gatehouse allows for a
  // module in development, and no cookies shared with Gatehouse on localhost.
  const origin = `http://127.0.0.1:${await freePort()}`;
  const now = server.clock();
  const { module, clientSecret } = await registerModule(
    deps.db,
    deps.deriveKey('client-secrets'),
    {
      name: DEMO_MODULE_NAME,
      description: 'A sample application that signs in with Gatehouse.',
      launchUrl: `${origin}/login`,
      redirectUris: [`${origin}/callback`],
      postLogoutRedirectUris: [`${origin}/`],
      clientType: 'confidential',
    },
    now,
  );
  assert.ok(clientSecret, 'a confidential module gets a client secret');
  await grantModule(deps.db, company.id, module.id, now);

  const demo = await startDemoModule({
    issuer: `${server.baseUrl}/oidc`,
    clientId: module.client_id,
    clientSecret,
    port: Number(new URL(origin).port),
    publicUrl: origin,
    ca: readFileSync(certificate.certFile),
    log,
  });
  assert.equal(demo.url, origin);
  return demo;
}

/** The dashboard's tile opens the demo in a new window, which lands signed in with 2FA. */
export async function launchFromDashboard(page: BrowserPage, base: string, demo: DemoModule, who: Who, shot: Shot) {
  // The launcher loads the company's modules when the dashboard loads. (Waiting for the
  // text first: if it never comes, the message shows what the page shows instead.)
  await page.goto(`${base}/`);
  await page.waitForText(DEMO_MODULE_NAME);
  await page.waitForControl(OPEN_TILE);
  await shot('dashboard-module-tile');

  const popup = await page.waitForPopup(() => page.click(OPEN_TILE));
  try {
    await assertSignedInToDemo(popup, demo, who);
    await shot('module', popup);
  } finally {
    await popup.close();
  }
  // The dashboard stays as it was: the pop-up was not blocked.
  await page.waitForPath('/');
  assert.ok(!(await page.text()).includes('blocked the pop-up'), 'no "blocked" notice when the window opened');
}

/**
 * With pop-ups blocked (window.open returns null), the tile says so and offers "Open in
 * this tab", which takes this tab to the demo, which signs in the same way.
 */
export async function openInThisTabWhenBlocked(page: BrowserPage, base: string, demo: DemoModule, who: Who, shot: Shot) {
  await page.goto(`${base}/`);
  await page.waitForText(DEMO_MODULE_NAME);
  await page.waitForControl(OPEN_TILE);
  await page.blockPopups();
  await page.click(OPEN_TILE);
  await page.waitForText(`Your browser blocked the pop-up for ${DEMO_MODULE_NAME}.`);
  await page.waitForControl('Open in this tab');
  await shot('module-pop-up-blocked');
  await page.click('Open in this tab');
  await assertSignedInToDemo(page, demo, who);
  await shot('module-in-this-tab');
}

export async function assertSignedInToDemo(page: BrowserPage, demo: DemoModule, who: Who) {
  // The window is the demo's, back on its home page after /callback: waited for, since a
  // pop-up reports about:blank (origin "null") until its driver has seen it navigate.
  await page.waitForUrl(`${demo.url}/`, SIGN_IN_TIMEOUT_MS);
  const text = await page.waitForText(`Signed in as ${who.username} of ${who.companyName}`, SIGN_IN_TIMEOUT_MS);
  // "Two-factor authentication: yes. amr includes "otp" (pwd, otp)."
  const line = /Two-factor authentication: (yes|no)\.[^\n]*/.exec(text);
  assert.ok(line, `the demo says whether the login used two-factor authentication:\n${text}`);
  assert.equal(line[1], 'yes', line[0]);
  const amr = /\(([^)]*)\)\.?$/.exec(line[0])?.[1]?.split(', ') ?? [];
  assert.ok(amr.includes('otp'), `amr includes "otp": ${line[0]}`);
}

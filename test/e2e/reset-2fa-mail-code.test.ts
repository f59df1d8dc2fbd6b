// A user whose 2FA a Master reset proves their mailbox before setting it up again
// (src/login/mail-proof.ts, MailCodeStep): after the password the login page says Check
// Your Email, having asked for the code on arrival; a wrong code is named under its field,
// the mailed one moves on to Your Security Matters. Chromium only; the HTTP rules are the
// server's tests.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { companyWithRootMaster, invitedMember, operatorAgent } from '../helpers/company-admin.ts';
import { codeIn, ENROLLMENT_CODE_SUBJECT } from '../helpers/enrollment-code.ts';
import { ACME_REQUEST } from '../helpers/journey.ts';
import { withFreshProof } from '../helpers/step-up.ts';
import { checkPage, describeViolations, type Violation } from './axe.ts';
import { launchChromiumWithTab } from './browsers/index.ts';
import { JOURNEY_TIMEOUT_MS } from './support.ts';
import { onHttpsGatehouse, type Stage } from './stage.ts';
import { identifyAndPassword } from './tabs.ts';

/** Zoe, whose 2FA a Master reset, logs in to Check Your Email; the code the page asked for on arrival. */
async function atCheckYourEmail({ server, closeFirst }: Stage) {
  const company = await companyWithRootMaster(server, await operatorAgent(server), ACME_REQUEST.companyName, ACME_REQUEST.email);
  const email = 'zoe@members.test';
  const zoe = await invitedMember(server, company, company.root.agent, { username: 'zoe', role: 'user', email });
  const root = company.root.agent;
  const reset = await withFreshProof(server, root, () => root.post(`/api/company/users/${zoe.id}/reset-2fa`));
  assert.equal(reset.status, 200, JSON.stringify(reset.body));

  const { page, tab } = await launchChromiumWithTab();
  closeFirst('closing the browser', () => page.close());
  await tab.goto(`${server.baseUrl}/login`);
  await identifyAndPassword(tab, { username: zoe.username, companyName: company.companyName });
  await tab.getByRole('heading', { name: 'Check Your Email' }).waitFor();
  const isCode = (m: { subject: string; to: string }) => m.subject === ENROLLMENT_CODE_SUBJECT && m.to.includes(email);
  const code = codeIn(await server.mail.waitFor(isCode));
  return { tab, code, isCode };
}

describe('2FA reset by a Master: the mailed code (chromium)', () => {
  test('the next login asks for the code mailed to the user, then sets up 2FA again', { timeout: JOURNEY_TIMEOUT_MS }, async () => {
    await onHttpsGatehouse('chromium', async (stage) => {
      const { server } = stage;
      const { tab, code, isCode } = await atCheckYourEmail(stage);
      // The page asked for the code on arrival, and names the mailbox (masked).
      await tab.getByText('we emailed to z•••@members.test.').waitFor();
      assert.equal(await tab.getByRole('button', { name: 'Send a new code' }).isDisabled(), true, 'a new code waits for the resend time');
      // The step is not in accessibility.test.ts's walk: axe looks at it here, as sent and with an error.
      const violations: Violation[] = await checkPage(tab, 'login: mail code');

      const wrong = `${code.slice(0, 5)}${(Number(code[5]) + 1) % 10}`;
      await tab.getByLabel('Code', { exact: true }).fill(wrong);
      await tab.getByRole('button', { name: 'Verify', exact: true }).click();
      await tab.getByText('Incorrect or expired code.').waitFor();
      violations.push(...(await checkPage(tab, 'login: mail code with an error')));
      assert.equal(violations.length, 0, `axe-core found:\n\n${describeViolations(violations)}`);
      assert.equal(await tab.getByRole('heading', { name: 'Check Your Email' }).count(), 1, 'a wrong code leaves the login at this step');

      await tab.getByLabel('Code', { exact: true }).fill(code);
      await tab.getByRole('button', { name: 'Verify', exact: true }).click();
      await tab.getByText('Your Security Matters').waitFor();
      assert.equal(server.mail.messages.filter(isCode).length, 1, 'one code was mailed: the page asked once');
    });
  });

  test('the same code sent first by a twin (a second tab, a retry): the page follows the login on, not back to the first step', { timeout: JOURNEY_TIMEOUT_MS }, async () => {
    await onHttpsGatehouse('chromium', async (stage) => {
      const { tab, code } = await atCheckYourEmail(stage);
      // The twin, from this browser: it spends the code and moves the browser's login on.
      const twin = await tab.evaluate(
        (sent) =>
          fetch('/api/login/enroll/mail-code/verify', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ code: sent }) }).then(
            (answer) => answer.status,
          ),
        code,
      );
      assert.equal(twin, 200);

      const refused = tab.waitForResponse((answer) => answer.url().endsWith('/api/login/enroll/mail-code/verify') && answer.status() === 409);
      await tab.getByLabel('Code', { exact: true }).fill(code);
      await tab.getByRole('button', { name: 'Verify', exact: true }).click();
      // The browser's login is past this step now (the cookie names the moved login).
      assert.equal(((await (await refused).json()) as { error: { code: string } }).error.code, 'login.wrong_step');
      await tab.getByText('Your Security Matters').waitFor();
      assert.equal(await tab.getByLabel('Username').count(), 0, 'not sent back to the first step');
      const shown = await tab.locator('body').innerText();
      for (const refusal of ['continue signing in from the current step', 'took too long']) assert.ok(!shown.includes(refusal), `no "${refusal}" shown: ${shown}`);
    });
  });
});

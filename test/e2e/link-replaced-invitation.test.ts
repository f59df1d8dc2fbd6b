// An invited user whose invitation link was replaced (a Master resent it) opens the old
// link. The page told them to look for a "Welcome to Gatehouse" email and to ask "your
// account manager or Gatehouse support" for a new one; but their mail was "You're invited
// to <company> on Gatehouse", and only their company's Masters can resend an invitation
// (operators resend only a Root Master's welcome). The page now covers both
// (web/src/components/LinkUnusable.tsx). Found by an audit of mail flows. Chromium only.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { companyWithRootMaster, inviteMail, operatorAgent } from '../helpers/company-admin.ts';
import { ACME_REQUEST } from '../helpers/journey.ts';
import { withFreshProof } from '../helpers/step-up.ts';
import { launchChromiumWithTab } from './browsers/index.ts';
import { JOURNEY_TIMEOUT_MS } from './support.ts';
import { onHttpsGatehouse } from './stage.ts';

describe('a replaced invitation link (chromium)', () => {
  test('the page sends an invited user to their company, not to a welcome email or Gatehouse support', { timeout: JOURNEY_TIMEOUT_MS }, async () => {
    await onHttpsGatehouse('chromium', async ({ server, closeFirst }) => {
      const company = await companyWithRootMaster(server, await operatorAgent(server), ACME_REQUEST.companyName, ACME_REQUEST.email);
      const email = 'mia@acme.test';
      const invited = await withFreshProof(server, company.root.agent, () => company.root.agent.post('/api/company/users', { email, username: 'mia', role: 'user' }));
      assert.equal(invited.status, 201, JSON.stringify(invited.body));
      const { link: first } = await inviteMail(server, company.companyName, email, 0);
      assert.equal((await company.root.agent.post(`/api/company/users/${invited.body.user.id}/resend-invite`, {})).status, 200);
      await inviteMail(server, company.companyName, email, 1);

      const { page, tab } = await launchChromiumWithTab();
      closeFirst('closing the browser', () => page.close());
      await tab.goto(first);
      await tab.getByText('This link can no longer be used').first().waitFor();
      const shown = await tab.locator('body').innerText();
      assert.doesNotMatch(shown, /welcome email/i, `an invited user is told of a welcome email they never got:\n${shown}`);
      assert.doesNotMatch(shown, /Gatehouse support/i, `an invited user is sent to Gatehouse support, who cannot resend an invitation:\n${shown}`);
      assert.match(shown, /If a Master of your company invited you, ask them to send the invitation again/);
    });
  });
});

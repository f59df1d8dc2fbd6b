// The MFA compliance page (web/src/pages/company/ComplianceTab.tsx) tells Masters:
// "Deactivated users cannot log in, so they count as neither enrolled nor pending." The
// report (src/companies/compliance.ts companyCompliance, and complianceSummary for the
// operators) holds to it for a deactivated user who had set up 2FA: the totals partition
// the users, and the share enrolled is of those who can log in.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Agent } from '../helpers/agent.ts';
import { signedInOperator } from '../helpers/journey.ts';
import { companyUser, companyWithRootMaster, type Person } from '../helpers/oidc.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

describe('MFA compliance: a deactivated user who had 2FA (sqlite)', () => {
  let server: TestServer;
  let operator: Agent;
  let acme: Person;

  before(async () => {
    server = await startTestServer({ engine: 'sqlite', realClock: true });
    operator = (await signedInOperator(server)).agent;
    acme = await companyWithRootMaster(server, operator, 'Acme Deactivated Enrolled');
    await companyUser(server, acme, 'dave');
  });
  after(() => server.close());

  test('counts as neither enrolled nor pending: the totals partition the users', async () => {
    const before = (await acme.agent.get('/api/company/compliance')).body;
    const dave = before.users.find((u: any) => u.username === 'dave');
    assert.equal(dave.enrolled, true, 'dave set up the app at his first login');
    assert.equal((await acme.agent.post(`/api/company/users/${dave.id}/deactivate`)).status, 200);
    const view = (await acme.agent.get('/api/company/compliance')).body;
    const { companies } = (await operator.get('/api/operator/compliance')).body;
    const summary = companies.find((c: any) => c.companyId === acme.companyId).totals;
    const t = view.totals;
    assert.deepEqual(
      { company: t.enrolled + t.pending + t.disabled, operators: summary.enrolled + summary.pending + summary.disabled },
      { company: t.users, operators: summary.users },
      `enrolled + pending + deactivated should be the users: ${JSON.stringify(t)}`,
    );
    assert.equal(t.percentEnrolled, 100, 'the Root Master, the one who can log in, is enrolled');
    assert.deepEqual(summary, t, "the operators' summary counts the same");
  });
});

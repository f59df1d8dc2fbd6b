// If-Match: "*" (a quoted star) is an entity tag like any other, which no version of
// Gatehouse's ever is (RFC 9110 §13.1.1: only the bare `*` means "any"). Read as the
// wildcard, a client that sends it (a tag copied wrongly, a proxy or library quoting every
// value) would get an unconditional save it believes conditional: Ollie switches the
// two-person rule on, and Dana's form, read before and sent with If-Match: "*", would
// switch it off again. It must answer 412 request.changed_meanwhile.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { companyWithRootMaster, invitedMember, operatorAgent, type Person, type SignedInCompany } from '../helpers/company-admin.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

describe('If-Match: "*" (quoted) is a tag, not the wildcard', () => {
  let server: TestServer;
  let company: SignedInCompany;
  let ollie: Person;
  before(async () => {
    server = await startTestServer();
    company = await companyWithRootMaster(server, await operatorAgent(server), 'Acme Quoted Star', 'dana@quoted-star.test');
    ollie = await invitedMember(server, company, company.root.agent, { username: 'ollie', role: 'master' });
  });
  after(() => server?.close());

  test("a stale form sent with If-Match: \"*\" is refused and does not undo another Master's stricter rule", async () => {
    const danasForm = (await company.root.agent.get('/api/company/policy')).body;
    assert.equal((await ollie.agent.post('/api/company/policy', { twoPerson2faReset: true })).status, 200);

    const stale = await company.root.agent.post('/api/company/policy', { ...danasForm.policy, lockoutMinutes: 33 }, { 'if-match': '"*"' });
    const now = (await company.root.agent.get('/api/company/policy')).body.policy;
    assert.deepEqual(
      { status: stale.status, twoPerson2faReset: now.twoPerson2faReset },
      { status: 412, twoPerson2faReset: true },
      'the quoted star was taken as "any version": the two-person rule Ollie switched on is off again',
    );
  });
});

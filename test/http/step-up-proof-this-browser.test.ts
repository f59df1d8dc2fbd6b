// A step-up proof raises what a session may do (sensitive changes, for 10 minutes), and
// the session keeps its id: a copy of the cookie taken before the proof (a shared machine,
// malware, a proxy log) inherited the proof the owner just gave, and with no password and
// no code planted a Master. The proof is now the browser's that gave it: its answer sets a
// proof cookie, a keyed hash only the server derives, and a step-up counts only with it
// (src/sessions/step-up-proof.ts). Found by an audit of sessions.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Agent } from '../helpers/agent.ts';
import { companyWithRootMaster, invitedMember, logInAgain, operatorAgent, type SignedInCompany } from '../helpers/company-admin.ts';
import { proofOf } from '../helpers/proof.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

describe('step-up and the session id', () => {
  let server: TestServer;
  let acme: SignedInCompany;
  before(async () => {
    server = await startTestServer();
    const operator: Agent = await operatorAgent(server);
    acme = await companyWithRootMaster(server, operator, 'Acme Step-Up Copies', 'root@stepup-copies.test');
  });
  after(() => server.close());

  test('a copy of the session cookie taken before a step-up does not inherit the proof', async () => {
    const mia = await invitedMember(server, acme, acme.root.agent, { username: 'mia', role: 'master' });
    server.clock.advance(11 * 60_000);
    const thief = server.agent();
    thief.cookies.set('gh_session', mia.agent.cookies.get('gh_session') as string);
    const refused = await thief.post('/api/company/users', { email: 'first@evil.test', username: 'evilfirst', role: 'master' });
    assert.equal(refused.status, 403, JSON.stringify(refused.body));
    assert.equal(refused.body.error.code, 'reauth.required');

    // Mia confirms it is her (password and code) in her own browser.
    const proved = await mia.agent.post('/api/me/reauth', proofOf(server, mia));
    assert.equal(proved.status, 200, JSON.stringify(proved.body));
    assert.equal((await mia.agent.get('/api/me')).status, 200, "Mia's browser goes on");

    // The copy, which proved nothing, tries again.
    const planted = await thief.post('/api/company/users', { email: 'second@evil.test', username: 'evilsecond', role: 'master' });
    assert.deepEqual([planted.status, planted.body.error?.code], [403, 'reauth.required'], "the copy made before Mia's step-up does not carry it");
    // Nor with a proof cookie of its own making, or one of another proof of Mia's.
    for (const forged of ['x'.repeat(43), 'AAAA']) {
      thief.cookies.set('gh_proof', forged);
      assert.equal((await thief.post('/api/company/users', { email: 'third@evil.test', username: 'evilthird', role: 'master' })).status, 403);
    }
    // Mia's own browser makes the change: the proof is hers.
    const invited = await mia.agent.post('/api/company/users', { email: 'ada@acme-copies.test', username: 'ada', role: 'master' });
    assert.equal(invited.status, 201, JSON.stringify(invited.body));
    const proofCookie = mia.agent.cookies.get('gh_proof') as string;
    assert.ok(proofCookie, 'the answer to the proof set the proof cookie');

    // A later proof makes another value: the old cookie stands for nothing once the stamp moved on.
    server.clock.advance(11 * 60_000);
    assert.equal((await mia.agent.post('/api/me/reauth', proofOf(server, mia))).status, 200);
    thief.cookies.set('gh_proof', proofCookie);
    assert.equal((await thief.post('/api/company/users', { email: 'fourth@evil.test', username: 'evilfourth', role: 'master' })).status, 403);
  });

  test("a proof given in one of the user's sessions does not carry to another of theirs", async () => {
    const noor = await invitedMember(server, acme, acme.root.agent, { username: 'noor', role: 'master' });
    server.clock.advance(1_000);
    // Noor's second browser (a shared machine, a stolen laptop): a session of its own.
    const other = await logInAgain(server, acme, noor);
    server.clock.advance(11 * 60_000);
    assert.equal((await noor.agent.post('/api/me/reauth', proofOf(server, noor))).status, 200);
    const proof = noor.agent.cookies.get('gh_proof') as string;
    assert.ok(proof);
    other.agent.cookies.set('gh_proof', proof);
    const borrowed = await other.agent.post('/api/company/users', { email: 'borrowed@evil.test', username: 'borrowed', role: 'master' });
    assert.deepEqual([borrowed.status, borrowed.body.error?.code], [403, 'reauth.required'], "the other session's proof is not this one's");
    // The browser that proved still may.
    assert.equal((await noor.agent.post('/api/company/users', { email: 'lee@acme-copies.test', username: 'lee', role: 'user' })).status, 201);
  });
});

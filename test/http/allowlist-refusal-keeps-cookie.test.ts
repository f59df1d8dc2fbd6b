// "A cookie presented from outside the allowlist is refused, the session stays"
// (src/sessions/index.ts, docs/SECURITY.md). The session row stayed, but the refusal also
// cleared the cookie in the browser that presented it: the owner's laptop, off the office
// network for one request (a page's minute look while the VPN reconnects), came back
// inside the allowlist signed out. requireSignedIn (src/http/guards.ts) now clears only a
// session that is over. Found by an audit of sessions.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { companyWithRootMaster, operatorAgent, type SignedInCompany } from '../helpers/company-admin.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { withFreshProof } from '../helpers/step-up.ts';

describe('a request from outside the allowlist and the session cookie', () => {
  let server: TestServer;
  let acme: SignedInCompany;
  before(async () => {
    server = await startTestServer({ env: { GATEHOUSE_TRUST_PROXY: '1' } });
    acme = await companyWithRootMaster(server, await operatorAgent(server), 'Acme Roaming Laptop', 'root@roaming.test');
  });
  after(() => server.close());

  test('refused from outside, the session is still there for the same browser back inside', async () => {
    const office = { 'x-forwarded-for': '198.51.100.7' };
    const root = acme.root.agent;
    const saved = await withFreshProof(server, root, () => root.request('POST', '/api/company/policy', { ipAllowlist: ['198.51.100.0/24', '127.0.0.1'] }, office));
    assert.equal(saved.status, 200, JSON.stringify(saved.body));
    assert.equal((await root.get('/api/me', office)).status, 200);
    const outside = await root.get('/api/me', { 'x-forwarded-for': '203.0.113.9', 'x-gatehouse-look-only': '1' });
    assert.equal(outside.status, 401);
    assert.deepEqual(outside.setCookies, [], 'the browser keeps its cookie');
    const back = await root.get('/api/me', office);
    assert.equal(back.status, 200, `back on the office network the browser is signed out (Set-Cookie when refused outside: ${outside.setCookies.join(' | ')})`);
  });
});

test('a session that is over is still cleared from the browser', async () => {
  const server = await startTestServer();
  try {
    const acme = await companyWithRootMaster(server, await operatorAgent(server), 'Acme Over', 'root@over.test');
    server.clock.advance(13 * 60 * 60_000);
    const over = await acme.root.agent.get('/api/me');
    assert.equal(over.status, 401);
    assert.ok(over.setCookies.some((line) => /gh_session=;/.test(line)), over.setCookies.join(' | '));
  } finally {
    await server.close();
  }
});

// CSRF by path spelling: the router decodes `/%61pi/...` to `/api/...`, so the origin,
// media-type and no-store guards are decided on the matched route. Generated spellings
// of every state-changing company-admin and operator route, sent with the victim's
// cookies from a foreign origin: each one the router routes gets the guard the canonical
// path gets, and nothing in the database changes.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { companyWithRootMaster, invitedMember, operatorAgent, type Person, type SignedInCompany } from '../helpers/company-admin.ts';
import type { Agent } from '../helpers/agent.ts';
import { registerTestModule } from '../helpers/oidc.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { encodedFirstLetter, rawRequest, snapshot, spellings, type RawAnswer } from '../helpers/spellings.ts';

const EVIL = 'https://evil.example';

describe('CSRF guard decided on the matched route, whatever the spelling', () => {
  let server: TestServer;
  let operator: Agent;
  let company: SignedInCompany;
  let member: Person;
  let grantedModuleId: string;
  let otherModuleId: string;
  before(async () => {
    server = await startTestServer();
    operator = await operatorAgent(server);
    company = await companyWithRootMaster(server, operator, 'Spelling Bee IT', 'root@spelling.test');
    member = await invitedMember(server, company, company.root.agent, { username: 'mallory-target', role: 'master' });
    grantedModuleId = (await registerTestModule(operator, { name: 'Granted' })).module.id;
    otherModuleId = (await registerTestModule(operator, { name: 'Not granted' })).module.id;
    assert.equal((await operator.post(`/api/operator/companies/${company.companyId}/modules/${grantedModuleId}/grant`)).status, 200);
  });
  after(() => server.close());

  const targets = () => [
    { who: company.root.agent, path: `/api/company/users/${member.id}/deactivate` },
    { who: company.root.agent, path: `/api/company/users/${member.id}/transfer-root-master` },
    { who: company.root.agent, path: `/api/company/users/${member.id}/reset-2fa` },
    { who: company.root.agent, path: `/api/company/users/${member.id}/delete` },
    { who: company.root.agent, path: '/api/me/sessions/revoke-all' },
    { who: operator, path: `/api/operator/companies/${company.companyId}/suspend` },
    { who: operator, path: `/api/operator/companies/${company.companyId}/modules/${otherModuleId}/grant` },
    { who: operator, path: `/api/operator/companies/${company.companyId}/modules/${grantedModuleId}/revoke` },
    { who: operator, path: `/api/operator/modules/${grantedModuleId}/rotate-secret` },
  ];

  // Three forged requests a browser lets a foreign page make, each carrying the victim's cookies.
  const forgeries = (agent: Agent): Array<{ name: string; headers: Record<string, string>; body: string }> => {
    const cookie = agent.cookieHeader();
    return [
      { name: 'foreign Origin, text/plain', headers: { cookie, origin: EVIL, 'content-type': 'text/plain' }, body: '{}' },
      { name: 'no Origin, cross-site fetch', headers: { cookie, 'sec-fetch-site': 'cross-site', 'content-type': 'application/json' }, body: '{}' },
      { name: 'our Origin, text/plain', headers: { cookie, origin: server.baseUrl, 'content-type': 'text/plain' }, body: '{}' },
    ];
  };
  // The router found no handler (404), or refused the URL before routing (Fastify's bad-URL
  // error, e.g. an absolute-form target with a fragment). The snapshot proves neither changed anything.
  const notRouted = (answer: { status: number; code: unknown }) =>
    (answer.status === 404 && answer.code === 'request.not_found') || (answer.status === 400 && answer.code === 'request.invalid');
  const guardOf = (answer: RawAnswer) => ({ status: answer.status, code: answer.body?.error?.code, cacheControl: answer.headers['cache-control'] });

  test('every spelling the router routes gets the canonical guard, and nothing changes', async () => {
    const before = await snapshot(server);
    let routedSpellings = 0;
    for (const { who, path } of targets()) {
      const canonical: Array<ReturnType<typeof guardOf>> = [];
      for (const forged of forgeries(who)) canonical.push(guardOf(await rawRequest(server.baseUrl, 'POST', path, forged.headers, forged.body)));
      assert.deepEqual(
        canonical.map((g) => [g.status, g.code, g.cacheControl]),
        [[403, 'csrf.forbidden_origin', 'no-store'], [403, 'csrf.forbidden_origin', 'no-store'], [415, 'request.unsupported_media_type', 'no-store']],
        path,
      );
      await fc.assert(
        fc.asyncProperty(spellings(path, server.baseUrl), async (spelling) => {
          for (const [i, forged] of forgeries(who).entries()) {
            const answer = guardOf(await rawRequest(server.baseUrl, 'POST', spelling, forged.headers, forged.body));
            if (notRouted(answer)) continue;
            if (i === 0) routedSpellings += 1;
            assert.deepEqual(answer, canonical[i], `${forged.name}: POST ${spelling}`);
          }
        }),
        { numRuns: 25, examples: [[encodedFirstLetter(path)], [path.replace('/api/', '/ap%69/')], [`${server.baseUrl}${path}`]] },
      );
    }
    assert.ok(routedSpellings >= targets().length * 3, `spellings other than the canonical one reached handlers (${routedSpellings})`);
    assert.equal(await snapshot(server), before, 'no forged request changed anything');
    // The guard is no accident of a broken route: the real request still works.
    const me = await company.root.agent.get(`/api/company/users/${member.id}`);
    assert.equal(me.body.user.status, 'active');
    const real = await company.root.agent.post(encodedFirstLetter(`/api/company/users/${member.id}/deactivate`));
    assert.equal(real.status, 200, JSON.stringify(real.body));
  });

  test('GET answers of every spelling of an API route are no-store', async () => {
    const agent = company.root.agent;
    await fc.assert(
      fc.asyncProperty(spellings('/api/me', server.baseUrl), async (spelling) => {
        const answer = await rawRequest(server.baseUrl, 'GET', spelling, { cookie: agent.cookieHeader() });
        assert.equal(answer.headers['cache-control'], 'no-store', `GET ${spelling}: ${answer.status}`);
      }),
      { numRuns: 40, examples: [[encodedFirstLetter('/api/me')]] },
    );
  });
});

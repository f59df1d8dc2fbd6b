// Every /api/v1 route that names a company in its path reaches it through the guard's one
// check (reachCompany, src/http/api-client-guard.ts): for a platform client, the platform
// company (whose users are the operators) and a company that does not exist are both
// "not found", changing nothing. The module grant and revoke and the company actions once
// took the path's id as it came: a platform client granted a module to the platform
// company, revoked grants of companies that do not exist (200), and resent the first
// operator's Sign Up link by mail, revoking the one the server printed.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { clientToken, company, sendApi } from '../helpers/api-clients.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { tokenFromLink } from '../helpers/journey.ts';
import { storedTestModule } from '../helpers/oidc.ts';
import { documentedRoutes, unclaimedPlatform } from '../helpers/platform.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const MISSING = '5f0c2b1e-8d4a-4c3b-9e7f-1a2b3c4d5e6f';
const EVERY_SCOPE = [
  'users:read', 'users:write', 'mfa:reset', 'policy:read', 'policy:write', 'audit:read', 'modules:read', 'modules:switch',
  'modules:write', 'companies:read', 'companies:write', 'requests:read', 'requests:write',
];

/** A body each route accepts, so the answer is about the company, not the fields. */
function bodyFor(method: string, path: string, userId: string): unknown {
  if (method === 'get') return undefined;
  if (path.endsWith('/users')) return { email: 'mallory@outside.test', username: 'mallory', role: 'master' };
  if (path.endsWith('/bulk-invite')) return { csv: 'email,username,role\nmallory@outside.test,mallory,master\n' };
  if (path.endsWith('/role')) return { role: 'master' };
  if (path.endsWith('/groups') || path.endsWith('/rename')) return { name: 'Operators too' };
  if (path.endsWith('/members')) return { userId };
  if (path.endsWith('/modules')) return { moduleIds: [] };
  if (path.endsWith('{moduleId}')) return { enabled: true };
  return {};
}

for (const engine of await enginesUnderTest()) describe(`/api/v1: the path's company, settled once for every route (${engine})`, () => {
  let server: TestServer;
  let token: string;
  let platformId: string;
  let firstOperatorId: string;
  let moduleId: string;
  let printedLink: string;
  let companyRoutes: Array<[string, string]>;
  before(async () => {
    server = await startTestServer({ engine });
    ({ printedLink, platformId, firstOperatorId } = await unclaimedPlatform(server));
    moduleId = (await storedTestModule(server)).module.id;
    await company(server, 'Alpha Support', 'alma');
    token = await clientToken(server, { name: 'MSP platform', scopes: EVERY_SCOPE, companyId: null });
    companyRoutes = await documentedRoutes(server, (path) => path.startsWith('/api/v1/') && path.includes('{companyId}'));
    assert.ok(companyRoutes.length > 30, 'the routes come from the OpenAPI document');
  });
  after(() => server.close());

  async function platformState() {
    const db = server.gatehouse.deps.db;
    const [grants, links, outbox, users, companies] = await Promise.all([
      db.selectFrom('company_modules').selectAll().orderBy('company_id').orderBy('module_id').execute(),
      db.selectFrom('action_links').select(['token_hash', 'consumed_at', 'revoked_at']).where('company_id', '=', platformId).orderBy('token_hash').execute(),
      db.selectFrom('outbox').select('id').orderBy('id').execute(),
      db.selectFrom('users').select(['id', 'role', 'status']).where('company_id', '=', platformId).orderBy('id').execute(),
      db.selectFrom('companies').select(['id', 'status']).orderBy('id').execute(),
    ]);
    return { grants, links, outbox, users, companies };
  }

  const pathFor = (path: string, companyId: string) =>
    path.replace('{companyId}', companyId).replace('{userId}', firstOperatorId).replace('{moduleId}', moduleId).replace('{groupId}', MISSING).replace('{handle}', '0123456789abcdef');

  test('a platform client gets 404 for the platform company and for a missing one, on every route naming a company', async () => {
    const before = await platformState();
    for (const [method, path] of companyRoutes) {
      for (const companyId of [platformId, MISSING]) {
        const answer = await sendApi(server, method.toUpperCase(), pathFor(path, companyId), token, bodyFor(method, path, firstOperatorId));
        assert.deepEqual(
          [answer.status, answer.body?.code],
          [404, 'request.not_found'],
          `${method.toUpperCase()} ${path} for the ${companyId === platformId ? 'platform' : 'missing'} company: ${JSON.stringify(answer.body)}`,
        );
      }
    }
    assert.deepEqual(await platformState(), before, 'no grant, link, mail, user or company changed');
    // The link the server printed for the first operator still works: no resend revoked it.
    assert.equal((await server.agent().get(`/api/signup/${tokenFromLink(printedLink)}`)).status, 200);
  });
});

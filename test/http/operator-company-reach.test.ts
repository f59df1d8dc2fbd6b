// Every operator console route that names a company by id answers for the platform company
// (whose users are the operators) what /api/v1 answers (api-v1-company-reach.test.ts): the
// same 404 request.not_found as a company that does not exist, changing nothing. The check
// is in the capabilities both faces call (resendWelcome, setCompanySuspended, the module
// grants), not in a guard of one of them. The console once took the platform's id as it
// came: an operator who is a Master of the platform resent its "welcome", revoking the
// first operator's printed Sign Up link and mailing a fresh one to the Mailbox the
// operator reads (the platform's Root Master's account, theirs to take), and granted
// modules to the platform company.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createOperator } from '../../src/companies/index.ts';
import type { Agent } from '../helpers/agent.ts';
import { company } from '../helpers/api-clients.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { logIn, STRONG_PASSWORD, tokenFromLink } from '../helpers/journey.ts';
import { storedTestModule } from '../helpers/oidc.ts';
import { documentedRoutes, unclaimedPlatform } from '../helpers/platform.ts';
import { proofOf } from '../helpers/proof.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { withFreshProof } from '../helpers/step-up.ts';

const MISSING = '5f0c2b1e-8d4a-4c3b-9e7f-1a2b3c4d5e6f';

for (const engine of await enginesUnderTest()) describe(`the operator console: a company by id, never the platform company (${engine})`, () => {
  let server: TestServer;
  let jane: Agent;
  let janeSecret: string;
  let platformId: string;
  let moduleId: string;
  let printedLink: string;
  let companyRoutes: Array<[string, string]>;
  before(async () => {
    server = await startTestServer({ engine });
    ({ printedLink, platformId } = await unclaimedPlatform(server));
    // The first operator signs up (operators are added only then), and Jane, a second
    // operator (`gatehouse operator create`), is a Master of the platform.
    const first = await server.agent().post('/api/signup', { token: tokenFromLink(printedLink), password: STRONG_PASSWORD, confirm: STRONG_PASSWORD });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    const made = await createOperator(server.gatehouse.deps, { username: 'jane', email: 'jane@msp.test' }, { actorId: 'cli', ip: null, userAgent: 'cli' });
    const signup = await server.agent().post('/api/signup', { token: tokenFromLink(made.url), password: STRONG_PASSWORD, confirm: STRONG_PASSWORD });
    assert.equal(signup.status, 200, JSON.stringify(signup.body));
    jane = server.agent();
    janeSecret = (await logIn(server, jane, { username: 'jane', companyName: made.companyName, password: STRONG_PASSWORD })).totpSecret;
    moduleId = (await storedTestModule(server)).module.id;
    await company(server, 'Alpha Support', 'alma');
    companyRoutes = await documentedRoutes(server, (path) => path.startsWith('/api/operator/companies/{id}'));
    assert.ok(companyRoutes.length >= 6, `the routes come from the OpenAPI document: ${JSON.stringify(companyRoutes)}`);
  });
  after(() => server.close());

  async function platformState() {
    const db = server.gatehouse.deps.db;
    const [grants, links, outbox, users, companies, clients] = await Promise.all([
      db.selectFrom('company_modules').selectAll().orderBy('company_id').orderBy('module_id').execute(),
      db.selectFrom('action_links').select(['token_hash', 'consumed_at', 'revoked_at']).where('company_id', '=', platformId).orderBy('token_hash').execute(),
      db.selectFrom('outbox').select('id').orderBy('id').execute(),
      db.selectFrom('users').select(['id', 'role', 'status', 'password_hash']).where('company_id', '=', platformId).orderBy('id').execute(),
      db.selectFrom('companies').select(['id', 'status']).orderBy('id').execute(),
      db.selectFrom('api_clients').select('id').orderBy('id').execute(),
    ]);
    return { grants, links, outbox, users, companies, clients };
  }

  const pathFor = (path: string, companyId: string) => path.replace('{id}', companyId).replace('{moduleId}', moduleId);

  test('every operator route naming a company answers 404 for the platform company, as for a missing one, and changes nothing', async () => {
    const before = await platformState();
    for (const [method, path] of companyRoutes) {
      for (const companyId of [platformId, MISSING]) {
        const url = pathFor(path, companyId);
        const answer = await withFreshProof(server, jane, () => (method === 'get' ? jane.get(url) : jane.post(url)));
        assert.deepEqual(
          [answer.status, answer.body?.error?.code],
          [404, 'request.not_found'],
          `${method.toUpperCase()} ${path} for the ${companyId === platformId ? 'platform' : 'missing'} company: ${JSON.stringify(answer.body)}`,
        );
      }
    }
    // The one operator route taking a company id in its body: an API client for the company.
    const client = await jane.post('/api/operator/api-clients', { name: 'Operators too', scopes: ['users:write'], companyId: platformId, ...proofOf(server, { totpSecret: janeSecret }) });
    assert.deepEqual([client.status, client.body?.error?.code], [404, 'request.not_found'], JSON.stringify(client.body));

    // No resend issued or revoked a link of the platform's (the links are in the state).
    assert.deepEqual(await platformState(), before, 'no grant, link, mail, user, company or client changed');
  });
});

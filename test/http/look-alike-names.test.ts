// Names that look alike are the same name. Company names (account requests, operator
// entry, approval) and usernames (invite, bulk invite) are generated from an existing
// one with invisible and formatting characters inserted anywhere, letters swapped for
// their Unicode confusables (Greek, Cyrillic, full-width, mathematical, ...), case and
// spacing changed: each is refused or found taken, never created beside the original.
// Users still log in typing the name as they know it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import type { Agent } from '../helpers/agent.ts';
import { companyWithRootMaster, operatorAgent, type SignedInCompany } from '../helpers/company-admin.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { ACME_REQUEST, approvedCompany, STRONG_PASSWORD, signUp } from '../helpers/journey.ts';
import { INVISIBLES, withInvisibles, withLookAlikes } from '../helpers/look-alikes.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

for (const engine of await enginesUnderTest()) describe(`look-alike company names and usernames (${engine})`, () => {
  let server: TestServer;
  let operator: Agent;
  let acme: SignedInCompany;
  const ORIGINAL = 'Acme Cloud';
  before(async () => {
    server = await startTestServer({ engine });
    operator = await operatorAgent(server);
    acme = await companyWithRootMaster(server, operator, ORIGINAL, 'root@acme-cloud.test');
  });
  after(() => server.close());

  const request = (companyName: string, agent = server.agent(), path = '/api/account-requests') =>
    agent.post(path, { ...ACME_REQUEST, companyName, email: 'someone@lookalike.test' });
  const companyCount = async () => (await server.gatehouse.storage.db.selectFrom('companies').select('id').execute()).length;

  test('a company name with invisible or formatting characters is refused, by the public form and the operator', async () => {
    await fc.assert(
      fc.asyncProperty(withInvisibles(ORIGINAL), fc.boolean(), async (name, byOperator) => {
        const answer = await request(name, byOperator ? operator : server.agent(), byOperator ? '/api/operator/requests' : '/api/account-requests');
        // A BOM at either end is white space to String.prototype.trim: then it is the original name, taken.
        const inside = INVISIBLES.some((char) => name.trim().includes(char));
        assert.equal(answer.status, inside ? 400 : 409, `${JSON.stringify(name)}: ${JSON.stringify(answer.body)}`);
        if (inside) assert.match(answer.body.error.fields.companyName, /invisible or formatting character/);
      }),
      { numRuns: 60 },
    );
  });

  test('a mark that cannot be seen on its letter (a dot above an i or a dotless i, a mark twice) is refused like an invisible character', async () => {
    const before = await companyCount();
    const hidden = ['Inı\u0307tech Services', 'Ini\u0307tech Services', 'Finj\u0307te Labs', 'Acme\u0301\u0301 Cloud', 'A\u0308\u0308cme Cloud'];
    for (const name of hidden) {
      for (const byOperator of [false, true]) {
        const answer = await request(name, byOperator ? operator : server.agent(), byOperator ? '/api/operator/requests' : '/api/account-requests');
        assert.equal(answer.status, 400, `${JSON.stringify(name)}: ${JSON.stringify(answer.body)}`);
        assert.match(answer.body.error.fields.companyName, /cannot be seen/);
      }
    }
    assert.equal(await companyCount(), before);
    // The same rule for every name a person reads: a display name too. Real accents stay.
    const profile = await acme.root.agent.post('/api/me/profile', { displayName: 'Di\u0307ana' });
    assert.equal(profile.status, 400, JSON.stringify(profile.body));
    for (const name of ['İstanbul Tech', 'Zürich Café', 'Thị Nguyễn Co']) assert.equal((await request(name)).status, 201, name);
  });

  test('a company name made of look-alike letters is the name it imitates: taken', async () => {
    const before = await companyCount();
    await fc.assert(
      fc.asyncProperty(withLookAlikes(ORIGINAL), fc.boolean(), async (name, byOperator) => {
        const answer = await request(name, byOperator ? operator : server.agent(), byOperator ? '/api/operator/requests' : '/api/account-requests');
        assert.equal(answer.status, 409, `${JSON.stringify(name)}: ${JSON.stringify(answer.body)}`);
        assert.equal(answer.body.error.code, 'company.name_taken');
      }),
      { numRuns: 60 },
    );
    assert.equal(await companyCount(), before);
  });

  test('a pending request holds its name against look-alikes; mixed scripts are flagged to the operator before approval', async () => {
    const mixed = 'Glоbex Systems'; // Cyrillic о in a Latin word
    const first = await request(mixed);
    assert.equal(first.status, 201, JSON.stringify(first.body));
    const latin = await request('Globex Systems');
    assert.equal(latin.status, 409, 'the Latin spelling is the same name as the pending one');
    const plain = await request('Initrode Partners');
    assert.equal(plain.status, 201);

    const listed = (await operator.get('/api/operator/requests')).body.requests as { id: string; nameWarning: string | null }[];
    assert.match(listed.find((r) => r.id === first.body.id)?.nameWarning ?? '', /Latin and Cyrillic/);
    assert.equal(listed.find((r) => r.id === plain.body.id)?.nameWarning, null);

    // Approved anyway (the operator's call), the name then blocks its Latin twin for good.
    const approved = await operator.post(`/api/operator/requests/${first.body.id}/approve`, { username: 'glob' });
    assert.equal(approved.status, 200, JSON.stringify(approved.body));
    assert.equal((await request('GLOBEX  systems')).status, 409);
  });

  test('login finds the company and user however the name is spelled, invisible characters and case included', async () => {
    const company = await approvedCompany(server, operator, { ...ACME_REQUEST, companyName: 'Umbrella Tools', email: 'root@umbrella.test' }, 'rootie');
    await signUp(server, company.link);
    await fc.assert(
      fc.asyncProperty(withInvisibles('Umbrella Tools'), withInvisibles('ROOTIE'), async (companyName, username) => {
        const agent = server.agent();
        assert.equal((await agent.post('/api/login/identify', { username, companyName })).status, 200);
        const answer = await agent.post('/api/login/password', { password: STRONG_PASSWORD });
        assert.equal(answer.status, 200, `${JSON.stringify([companyName, username])}: ${JSON.stringify(answer.body)}`);
      }),
      { numRuns: 5 },
    );
  });

  let invited = 0;
  const invite = (username: string) => acme.root.agent.post('/api/company/users', { email: `member${(invited += 1)}@team.test`, username, role: 'user' });

  test('usernames: invisible characters and mixed scripts are refused, look-alikes are taken', async () => {
    const original = 'marco';
    assert.equal((await invite(original)).status, 201);
    const users = async () => (await server.gatehouse.storage.db.selectFrom('users').select('id').where('company_id', '=', acme.companyId).execute()).length;
    const count = await users();
    await fc.assert(
      fc.asyncProperty(fc.oneof(withInvisibles(original), withLookAlikes(original)), async (username) => {
        const answer = await invite(username);
        assert.ok([400, 409].includes(answer.status), `${JSON.stringify(username)}: ${answer.status} ${JSON.stringify(answer.body)}`);
        if (answer.status === 409) assert.equal(answer.body.error.code, 'user.username_taken');
        else assert.ok(answer.body.error.fields.username, JSON.stringify(answer.body));
      }),
      { numRuns: 60 },
    );
    // An all-Cyrillic name is one script: it is checked as a look-alike instead.
    assert.equal((await invite('сосо')).status, 201, 'a Cyrillic name of its own is fine');
    assert.equal((await invite('coco')).status, 409, 'and its Latin twin is then taken');
    assert.equal((await invite('rооt')).status, 400, 'Latin and Cyrillic in one username');
    // Cyrillic "г" looks like r and its capital "Г" does not: the case key holds them together.
    assert.equal((await invite('гоша')).status, 201);
    for (const recased of ['ГОША', 'Гоша', 'гОША']) assert.equal((await invite(recased)).status, 409, `${recased} is гоша`);
    assert.equal(await users(), count + 2);
  });

  test('bulk invite refuses the same look-alikes row by row', async () => {
    const rows = fc.sample(fc.oneof(withInvisibles('nadia'), withLookAlikes('nadia')), 20);
    const csv = ['username,email,role', 'nadia,nadia@bulk.test,user', ...rows.map((u, i) => `"${u.replace(/"/g, '""')}",n${i}@bulk.test,user`)].join('\n');
    const answer = await acme.root.agent.post('/api/company/users/bulk-invite', { csv });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const report = answer.body.rows as { username: string; status: string }[];
    assert.equal(report[0]?.status, 'invited');
    for (const row of report.slice(1)) assert.equal(row.status, 'refused', JSON.stringify(row));
  });
});

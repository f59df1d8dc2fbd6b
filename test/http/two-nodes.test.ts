// Two Gatehouse nodes on one PostgreSQL: the lockout and TOTP replay protection hold
// across nodes, and nodes starting together on a fresh database migrate it once.
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { after, before, describe, test } from 'node:test';
import { createTestDatabase, enginesUnderTest, type TestDatabase } from '../helpers/databases.ts';
import { ACME_REQUEST, approvedCompany, logIn, signedInOperator, signUp, STRONG_PASSWORD } from '../helpers/journey.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { totpAt } from '../helpers/totp.ts';

if ((await enginesUnderTest()).includes('postgres')) describe('two nodes on one PostgreSQL', () => {
  let nodeA: TestServer;
  let nodeB: TestServer;
  const user = { username: '', companyName: ACME_REQUEST.companyName, password: STRONG_PASSWORD, totpSecret: '' };
  before(async () => {
    nodeA = await startTestServer({ engine: 'postgres' });
    const operator = await signedInOperator(nodeA);
    const company = await approvedCompany(nodeA, operator.agent);
    await signUp(nodeA, company.link);
    user.username = company.username;
    user.totpSecret = (await logIn(nodeA, nodeA.agent(), user)).totpSecret;
    // Started after the welcome mail went out, so only node A's mail capture expects it.
    nodeB = await startTestServer({ env: { GATEHOUSE_DATABASE_URL: nodeA.database.url } });
    nodeB.clock.set(nodeA.clock());
  });
  after(async () => {
    await nodeB.close();
    await nodeA.close();
  });

  const advance = (ms: number) => {
    nodeA.clock.advance(ms);
    nodeB.clock.advance(ms);
  };
  async function passwordOn(node: TestServer, password: string) {
    const agent = node.agent();
    await agent.post('/api/login/identify', user);
    return { agent, answer: await agent.post('/api/login/password', { password }) };
  }

  test('a code accepted on one node is refused on the other', async () => {
    const onA = (await passwordOn(nodeA, STRONG_PASSWORD)).agent;
    const onB = (await passwordOn(nodeB, STRONG_PASSWORD)).agent;
    const code = totpAt(user.totpSecret, nodeA.clock());
    assert.equal((await onA.post('/api/login/totp', { code })).status, 200);
    const replay = await onB.post('/api/login/totp', { code });
    assert.equal(replay.status, 409);
    assert.equal(replay.body.error.code, 'totp.already_used');
    advance(30_000);
  });

  test('failures on both nodes add up to one lockout, which holds on both', async () => {
    for (const node of [nodeA, nodeB, nodeA, nodeB, nodeA]) assert.equal((await passwordOn(node, 'Wrong-Guess-1!')).answer.status, 401);
    for (const node of [nodeA, nodeB]) assert.equal((await passwordOn(node, STRONG_PASSWORD)).answer.status, 401, 'locked everywhere');
    advance(15 * 60_000);
    const { answer } = await passwordOn(nodeB, STRONG_PASSWORD);
    assert.equal(answer.status, 200);
    assert.equal(answer.body.step, 'totp');
  });
});

if ((await enginesUnderTest()).includes('postgres')) describe('nodes starting together on a fresh PostgreSQL', () => {
  let database: TestDatabase;
  let nodes: TestServer[] = [];
  before(async () => {
    database = await createTestDatabase('postgres');
  });
  after(async () => {
    await Promise.all(nodes.map((n) => n.close()));
    await database.drop();
  });

  test('both come up ready and each migration ran once', async () => {
    nodes = await Promise.all([1, 2, 3].map(() => startTestServer({ env: { GATEHOUSE_DATABASE_URL: database.url } })));
    for (const node of nodes) assert.equal((await node.agent().get('/readyz')).status, 200);
    const { rows } = await sql<{ name: string }>`select name from kysely_migration`.execute(nodes[0]!.gatehouse.storage.db);
    const names = rows.map((r) => r.name);
    assert.ok(names.length > 0);
    assert.equal(new Set(names).size, names.length, 'no migration recorded twice');
  });
});

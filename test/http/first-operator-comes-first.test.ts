// The first operator's Sign Up link makes its holder the platform's Root Master, whom no
// other operator can reach. `gatehouse operator create` added an operator before the
// first one had signed up, and once that operator signed up `operator setup-link` said
// there was no first-operator link any more, while the one it printed before still set
// the Root Master's password (for the link's whole life, 7 days by default). Now:
// - operators are added only once the first operator is in (createOperator,
//   src/companies/platform.ts: 409 operator.first_not_set_up, the CLI exits 1 saying so);
// - a first-operator link stands only while no operator has a password
//   (firstOperatorLinkStands, src/users/signup.ts), for a database that came to that
//   state before (made here by writing the rows as the old release did).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { cliOf } from '../helpers/cli.ts';
import { signUp, signUpLinkIn, STRONG_PASSWORD, tokenFromLink } from '../helpers/journey.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { getPlatformCompany } from '../../src/companies/store.ts';
import { createUser } from '../../src/users/store.ts';

describe('the first operator comes first', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());
  const userNamed = (username: string) => server.gatehouse.deps.db.selectFrom('users').select(['role', 'password_hash']).where('username', '=', username).executeTakeFirst();

  test('an operator is not added before the first one has signed up', async () => {
    const gatehouse = cliOf(server);
    const setup = await gatehouse(['operator', 'setup-link']);
    assert.equal(setup.code, 0, setup.stderr);
    const created = await gatehouse(['operator', 'create', '--username', 'early', '--email', 'early@example.com']);
    assert.equal(created.code, 1, created.stdout);
    assert.match(created.stderr, /Set up the first operator first/);
    assert.doesNotMatch(created.stdout, /\/signup\//, 'no Sign Up link is printed');
    assert.equal(await userNamed('early'), undefined, 'no operator is made');
  });

  test('a first-operator link printed before another operator had a password makes no Root Master', async () => {
    const gatehouse = cliOf(server);
    const setup = await gatehouse(['operator', 'setup-link']);
    assert.equal(setup.code, 0, setup.stderr);
    const adminLink = signUpLinkIn(setup.stdout);
    // As an older release allowed: another operator, made and signed up before the first.
    const { db } = server.gatehouse.deps;
    const platform = await getPlatformCompany(db);
    assert.ok(platform);
    const jane = await createUser(db, platform.id, { username: 'jane', email: 'jane@example.com', displayName: 'Jane', role: 'master' }, server.clock());
    await db.updateTable('users').set({ password_hash: 'set-by-an-older-release', status: 'active' }).where('id', '=', jane.id).execute();

    const again = await gatehouse(['operator', 'setup-link']);
    assert.equal(again.code, 1);
    assert.match(again.stdout, /there is no first-operator link any more/);
    const token = tokenFromLink(adminLink);
    const shown = await server.agent().get(`/api/signup/${token}`);
    const used = await server.agent().post('/api/signup', { token, password: STRONG_PASSWORD, confirm: STRONG_PASSWORD });
    assert.deepEqual({ shown: shown.status, used: used.status }, { shown: 410, used: 410 });
    assert.equal((await userNamed('admin'))?.password_hash, null, "the Root Master's password stays unset");
  });
});

describe('once the first operator is in', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  test('operators are added, and their links work', async () => {
    const gatehouse = cliOf(server);
    const setup = await gatehouse(['operator', 'setup-link']);
    await signUp(server, signUpLinkIn(setup.stdout));
    const created = await gatehouse(['operator', 'create', '--username', 'jane', '--email', 'jane@example.com']);
    assert.equal(created.code, 0, created.stderr);
    await signUp(server, signUpLinkIn(created.stdout));
    const jane = await server.gatehouse.deps.db.selectFrom('users').select(['role', 'status']).where('username', '=', 'jane').executeTakeFirst();
    assert.deepEqual({ ...jane }, { role: 'master', status: 'active' });
  });
});

// `gatehouse api-clients` run for real, as a child process on the running server's
// database: the secret it prints once gets a token, and rotate and delete take effect
// on the server at once.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { callApi, company, requestToken, tokenFor } from '../helpers/api-clients.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { cliOf } from '../helpers/cli.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';


for (const engine of await enginesUnderTest()) describe(`gatehouse api-clients (${engine})`, () => {
  let server: TestServer;
  let alpha: { companyId: string };

  before(async () => {
    server = await startTestServer({ engine });
    alpha = await company(server, 'Alpha Support', 'alma');
  });
  after(() => server.close());

  const gatehouse = (args: string[]) => cliOf(server)(args);


  const secretIn = (stdout: string) => /Client secret: +(ghapisec_\S+)/.exec(stdout)?.[1] ?? '';
  const clientIdIn = (stdout: string) => /Client ID: +(ghapi_\S+)/.exec(stdout)?.[1] ?? '';

  test('create prints the secret once, with a warning; the token it gets works; rotate and delete end it', async () => {
    const created = await gatehouse(['api-clients', 'create', '--name', 'PSA sync', '--scopes', 'users:read', '--company', 'alpha support']);
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /API client "PSA sync" created for Alpha Support/);
    assert.match(created.stdout, /WARNING: the secret is shown only this once/);
    const clientId = clientIdIn(created.stdout);
    const secret = secretIn(created.stdout);
    const token = await tokenFor(server, clientId, secret);
    assert.equal((await callApi(server, `/api/v1/companies/${alpha.companyId}/users`, token)).status, 200);

    const listed = await gatehouse(['api-clients', 'list']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, new RegExp(`${clientId}\\s+PSA sync\\s+Alpha Support\\s+users:read`));
    assert.ok(!listed.stdout.includes(secret));

    const rotated = await gatehouse(['api-clients', 'rotate', clientId]);
    assert.equal(rotated.code, 0, rotated.stderr);
    const fresh = secretIn(rotated.stdout);
    assert.notEqual(fresh, secret);
    assert.equal((await callApi(server, `/api/v1/companies/${alpha.companyId}/users`, token)).status, 401);
    const second = await tokenFor(server, clientId, fresh);

    const deleted = await gatehouse(['api-clients', 'delete', clientId]);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.equal((await callApi(server, `/api/v1/companies/${alpha.companyId}/users`, second)).status, 401);
    assert.equal((await requestToken(server, clientId, fresh)).body.error, 'invalid_client');
    const audit = await server.gatehouse.deps.db.selectFrom('audit_events').select(['action', 'actor_id']).where('action', 'like', 'api_client.%').orderBy('id').execute();
    assert.deepEqual(audit.map((row) => ({ ...row })), ['created', 'secret_rotated', 'deleted'].map((a) => ({ action: `api_client.${a}`, actor_id: 'cli' })));
  });

  test('wrong scopes are bad usage, and unknown ids are refused, each with a clear message', async () => {
    // Wrong scopes are bad usage (exit 2), found before the database is opened.
    const platformOnly = await gatehouse(['api-clients', 'create', '--name', 'x', '--scopes', 'users:read,companies:write', '--company', 'Alpha Support']);
    assert.equal(platformOnly.code, 2);
    assert.match(platformOnly.stderr, /--scopes: companies:write is for platform API clients only/);
    for (const [scopes, said] of [['users:reed', /--scopes: Unknown scope users:reed/], [',', /--scopes: Choose at least one scope/]] as const) {
      const wrong = await gatehouse(['api-clients', 'create', '--name', 'x', '--scopes', scopes]);
      assert.equal(wrong.code, 2, wrong.stderr);
      assert.match(wrong.stderr, said);
    }
    const unknown = await gatehouse(['api-clients', 'delete', 'ghapi_AAAAAAAAAAAAAAAAAAAAAA']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /No API client has the id ghapi_AAAAAAAAAAAAAAAAAAAAAA/);
    const malformed = await gatehouse(['api-clients', 'rotate', 'nope']);
    assert.equal(malformed.code, 2);
  });
});

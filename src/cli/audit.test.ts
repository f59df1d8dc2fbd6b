// Every gatehouse command that changes security state leaves an audit event naming the
// CLI as the actor (actor `cli`, user agent `gatehouse-cli`, no address), written with
// the change: an operator reading the trail after an incident sees what was done from
// the shell, and when. Run for real as child processes, on SQLite and PostgreSQL; a
// command added to the CLI fails the last test until it is listed here as changing
// state (with its events) or as read-only.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { enginesUnderTest } from '../../test/helpers/databases.ts';
import { cleanEnv, cliOf, runCli } from '../../test/helpers/cli.ts';
import { STRONG_PASSWORD } from '../../test/helpers/journey.ts';
import { startTestServer, type TestServer } from '../../test/helpers/server.ts';
import { submitAccountRequest } from '../companies/index.ts';


/** Commands that only read, or (serve, migrate, backup) run the server, the schema or a copy. */
const NOT_CLI_DECISIONS = ['serve', 'migrate', 'requests list', 'api-clients list', 'mail list', 'mail show', 'logouts list', 'backup'];

interface Event {
  id: string;
  action: string;
  actor_id: string | null;
  ip: string | null;
  user_agent: string | null;
  target: string | null;
  detail: Record<string, unknown>;
}

for (const engine of await enginesUnderTest()) describe(`security changes made with the gatehouse command are audited as the CLI (${engine})`, () => {
  let server: TestServer;
  /** The commands run and the events each one added, for the completeness check. */
  const covered = new Set<string>();
  before(async () => {
    server = await startTestServer({ engine });
  });
  after(() => server.close());

  const gatehouse = (args: string[]) => cliOf(server)(args);


  async function events(): Promise<Event[]> {
    const rows = await server.gatehouse.storage.db
      .selectFrom('audit_events')
      .select(['id', 'action', 'actor_id', 'ip', 'user_agent', 'target', 'detail'])
      .orderBy('created_at')
      .execute();
    return rows.map((row) => ({ ...row, id: String(row.id), detail: row.detail ? (JSON.parse(row.detail) as Record<string, unknown>) : {} }));
  }

  /** The first operator sets a password, from a fresh link of the CLI's: operators are added only then. */
  async function signUpFirstOperator() {
    const run = await gatehouse(['operator', 'setup-link']);
    const token = /\/signup\/([A-Za-z0-9_-]{43})/.exec(run.stdout)?.[1];
    assert.ok(token, `${run.stdout}${run.stderr}`);
    const answer = await server.agent().post('/api/signup', { token, password: STRONG_PASSWORD, confirm: STRONG_PASSWORD });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
  }

  /** Runs the command (it must succeed) and returns the events it added, each checked to name the CLI. */
  async function audited(args: string[], expected: string[]): Promise<{ stdout: string; added: Event[] }> {
    const seen = new Set((await events()).map((event) => event.id));
    const run = await gatehouse(args);
    assert.equal(run.code, 0, `gatehouse ${args.join(' ')}: ${run.stderr}`);
    const added = (await events()).filter((event) => !seen.has(event.id));
    assert.deepEqual(
      added.map((event) => event.action).sort(),
      [...expected].sort(),
      `gatehouse ${args.join(' ')} changed security state: the trail must gain ${expected.join(', ')}`,
    );
    for (const event of added) {
      assert.deepEqual(
        { actor: event.actor_id, ip: event.ip, userAgent: event.user_agent },
        { actor: 'cli', ip: null, userAgent: 'gatehouse-cli' },
        `${event.action} names the CLI as the actor`,
      );
    }
    covered.add(args.filter((word) => !word.startsWith('-')).slice(0, 2).join(' '));
    return { stdout: run.stdout, added };
  }

  const sorted = (ids: unknown) => [...(ids as string[])].sort();
  const kids = async () => (await server.gatehouse.storage.db.selectFrom('signing_keys').select(['kid', 'status']).execute());

  test('operator setup-link: the first run creates the Root Master of the platform, every run issues a link', async () => {
    const first = await audited(['operator', 'setup-link'], ['operator.created', 'operator.setup_link_issued']);
    const created = first.added.find((event) => event.action === 'operator.created');
    const issued = first.added.find((event) => event.action === 'operator.setup_link_issued');
    assert.equal(created?.detail.username, 'admin');
    assert.equal(issued?.target, created?.target, 'the link is for the user just created');
    // The next link revokes the first: recorded again, and the user is not created twice.
    const second = await audited(['operator', 'setup-link'], ['operator.setup_link_issued']);
    assert.equal(second.added[0]?.target, created?.target);
    const token = /\/signup\/([A-Za-z0-9_-]{43})/.exec(second.stdout)?.[1];
    assert.ok(token && !JSON.stringify(second.added).includes(token), 'the trail never holds the link itself');
  });

  test('operator create records operator.created with the CLI as the actor', async () => {
    await signUpFirstOperator();
    const { added } = await audited(['operator', 'create', '--username', 'jane', '--email', 'jane@example.com'], ['operator.created']);
    assert.equal(added[0]?.detail.username, 'jane');
  });

  test('requests approve and reject are recorded as the CLI', async () => {
    const request = (companyName: string, email: string) =>
      submitAccountRequest(server.gatehouse.storage.db, { companyName, email, contactName: 'Dana Root', phone: '+1 555 0100' }, 'public', Date.now());
    const acme = await request('Acme Managed IT', 'dana@acme.example');
    const beta = await request('Beta Tech', 'bo@beta.example');
    await audited(['requests', 'approve', acme.id], ['company.approved']);
    const { added } = await audited(['requests', 'reject', beta.id, '--reason', 'Not a managed service provider'], ['company.rejected']);
    assert.equal(added[0]?.detail.reason, 'Not a managed service provider');
  });

  test('api-clients create, rotate and delete are recorded as the CLI', async () => {
    const created = await audited(['api-clients', 'create', '--name', 'PSA sync', '--scopes', 'users:read'], ['api_client.created']);
    const clientId = /ghapi_[A-Za-z0-9_-]{22}/.exec(created.stdout)?.[0];
    assert.ok(clientId, created.stdout);
    await audited(['api-clients', 'rotate', clientId], ['api_client.secret_rotated']);
    await audited(['api-clients', 'delete', clientId], ['api_client.deleted']);
  });

  test('keys rotate records the retired and new key ids; --now records the keys it dropped', async () => {
    const active = (await kids()).map((key) => key.kid);
    const routine = await audited(['keys', 'rotate'], ['signing_keys.rotated']);
    const afterRoutine = await kids();
    const routineDetail = routine.added[0]?.detail ?? {};
    assert.equal(routineDetail.dropPrevious, false);
    assert.deepEqual(sorted(routineDetail.retired), sorted(active), 'the keys that were active, by id');
    assert.deepEqual(routineDetail.dropped, [], 'nothing past its grace period yet');
    assert.deepEqual(sorted(routineDetail.added), sorted(afterRoutine.filter((key) => key.status === 'active').map((key) => key.kid)));

    // Retired keys past their grace period are deleted by the next rotation: named as dropped.
    await server.gatehouse.storage.db.updateTable('signing_keys').set({ retired_at: Date.now() - 2 * 86_400_000 }).where('status', '=', 'retired').execute();
    const expiring = await audited(['keys', 'rotate'], ['signing_keys.rotated']);
    assert.deepEqual(sorted(expiring.added[0]?.detail.dropped), sorted(active));
    assert.deepEqual(sorted(expiring.added[0]?.detail.retired), sorted(routineDetail.added));

    const previous = await kids();
    const emergency = await audited(['keys', 'rotate', '--now'], ['signing_keys.rotated']);
    const detail = emergency.added[0]?.detail ?? {};
    assert.equal(detail.dropPrevious, true);
    assert.deepEqual(detail.retired, []);
    assert.deepEqual(sorted(detail.dropped), sorted(previous.map((key) => key.kid)), 'every previous key, by id');
    assert.deepEqual(sorted(detail.added), sorted((await kids()).map((key) => key.kid)));
    // Only ids: no private (or public) key parameters.
    assert.doesNotMatch(JSON.stringify([routine.added, expiring.added, emergency.added]), /"(d|n|p|q|x|y|kty)"\s*:/);
  });

  // Last: it leaves the database under another secret key than the server's.
  test('keys replace-lost-secret records secret_key.replaced and the signing keys it replaced, as the CLI', async () => {
    const previous = await kids();
    const seen = new Set((await events()).map((event) => event.id));
    const underNewKey = { ...cleanEnv(), GATEHOUSE_DATA_DIR: server.database.dataDir, GATEHOUSE_DATABASE_URL: server.database.url, GATEHOUSE_SECRET_KEY: Buffer.alloc(32, 9).toString('base64'), GATEHOUSE_LOG_LEVEL: 'warn' };
    const run = await runCli(['keys', 'replace-lost-secret', '--yes'], underNewKey);
    assert.equal(run.code, 0, run.stderr);
    const added = (await events()).filter((event) => !seen.has(event.id));
    assert.deepEqual(added.map((event) => event.action).sort(), ['secret_key.replaced', 'signing_keys.rotated']);
    for (const event of added) assert.deepEqual({ actor: event.actor_id, ip: event.ip, userAgent: event.user_agent }, { actor: 'cli', ip: null, userAgent: 'gatehouse-cli' });
    const replaced = added.find((event) => event.action === 'secret_key.replaced')?.detail ?? {};
    assert.deepEqual(sorted(replaced.signingKeysDropped), sorted(previous.map((key) => key.kid)));
    assert.doesNotMatch(JSON.stringify(added), /"(d|n|p|q|x|y|kty)"\s*:/);
    covered.add('keys replace-lost-secret');
  });

  test('every command of the CLI is either covered above or changes nothing', async () => {
    const help = await gatehouse(['--help']);
    const listed = help.stdout.split('Commands:\n')[1]?.split('\n\n')[0]?.split('\n').map((line) => line.trim().split(/\s{3,}/)[0] as string) ?? [];
    assert.ok(listed.includes('keys rotate'), help.stdout);
    const unclassified = listed.filter((name) => !covered.has(name) && !NOT_CLI_DECISIONS.includes(name));
    assert.deepEqual(unclassified, [], 'a new command: test its audit events here, or list it as changing nothing');
  });
});

// A secret key lost for good (docs/OPERATIONS.md, "A secret key lost for good"). Every
// command refuses a key that does not open the database's sealed values, `keys rotate
// --now` included, so without a way to start again under a new key the whole database
// (companies, users, passwords, the audit trail) stayed unusable, not only what the key
// sealed. Guards `gatehouse keys replace-lost-secret` (src/lost-secret-key.ts): it asks
// first (no terminal and no --yes: a usage error, nothing changed), makes every value the
// lost key sealed unusable in its defined way (app secrets and recovery codes cleared, an
// identity provider's client secret cleared, queued mail dropped as failed, signing keys
// replaced), audits it, changes nothing when the key configured opens everything, and
// the server starts again, where a user whose app secret was lost sets up 2FA again
// after the password, never reaching a signed-in state without it.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { loadConfig } from '../../src/config.ts';
import { createGatehouse } from '../../src/gatehouse.ts';
import { Agent } from '../helpers/agent.ts';
import { cleanEnv, runCli } from '../helpers/cli.ts';
import { enginesUnderTest } from '../helpers/databases.ts';
import { signedInOperator } from '../helpers/journey.ts';
import { freePort } from '../helpers/net.ts';
import { companyWithRootMaster } from '../helpers/oidc.ts';
import { startTestServer } from '../helpers/server.ts';

for (const engine of await enginesUnderTest()) describe(`a secret key lost for good (${engine})`, () => {
  test('keys replace-lost-secret starts again under a new key: what the lost key sealed is cleared, the rest serves', async () => {
    const server = await startTestServer({ engine, realClock: true });
    const { db, secrets } = server.gatehouse.deps;
    const now = Date.now();
    const operator = await signedInOperator(server);
    const root = await companyWithRootMaster(server, operator.agent);
    // Sealed values of each kind: mail not sent yet, an OpenID Connect provider's secret.
    const mailId = randomUUID();
    await db.insertInto('outbox').values({
      id: mailId, company_id: root.companyId, recipient: 'someone@acme.test', subject: 'Queued before the loss', status: 'pending', attempts: 0,
      next_attempt_at: now + 3_600_000, locked_until: null, last_error: null, created_at: now, sent_at: null,
      payload: secrets.encrypt(JSON.stringify({ html: '<p>hi</p>', text: 'hi' }), `outbox:${mailId}`),
    }).execute();
    const providerId = randomUUID();
    await db.insertInto('sso_providers').values({
      id: providerId, company_id: root.companyId, kind: 'oidc', name: 'Acme IdP', enabled: 0, saml_entity_id: null, saml_sso_url: null, saml_certs: null,
      oidc_issuer: 'https://idp.acme.test', oidc_client_id: 'gatehouse', oidc_client_secret: secrets.encrypt('idp-secret', `sso-oidc:${providerId}`),
      username_attribute: 'preferred_username', groups_attribute: null, trust_provider_mfa: 0, tested_at: null, created_at: now, updated_at: now,
    }).execute();
    const rootRow = await db.selectFrom('users').select('id').where('company_id', '=', root.companyId).where('username', '=', root.username).executeTakeFirstOrThrow();
    const codes = async (of: typeof db) => (await of.selectFrom('recovery_codes').select('id').where('user_id', '=', rootRow.id).execute()).length;
    assert.ok((await codes(db)) > 0, 'the Root Master has recovery codes');
    await server.gatehouse.close();

    const newKey = Buffer.alloc(32, 42).toString('base64');
    const env = { ...cleanEnv(), GATEHOUSE_DATA_DIR: server.database.dataDir, GATEHOUSE_DATABASE_URL: server.database.url, GATEHOUSE_SECRET_KEY: newKey, GATEHOUSE_LOG_LEVEL: 'warn' };
    let restarted: Awaited<ReturnType<typeof createGatehouse>> | undefined;
    try {
      const rotate = await runCli(['keys', 'rotate', '--now'], env);
      assert.equal(rotate.code, 1, 'a routine command still refuses another key (how a restore is checked)');
      assert.match(rotate.stderr, /keys replace-lost-secret/, 'and names the way out');

      const unasked = await runCli(['keys', 'replace-lost-secret'], env);
      assert.equal(unasked.code, 2, `no terminal to ask at, no --yes: a usage error (${unasked.stderr})`);
      assert.match(unasked.stderr, /--yes/);
      assert.equal((await runCli(['keys', 'rotate', '--now'], env)).code, 1, 'nothing was changed');

      const run = await runCli(['keys', 'replace-lost-secret', '--yes'], env);
      assert.equal(run.code, 0, `exit ${run.code}: ${run.stderr}`);
      assert.match(run.stdout, /Authenticator app secrets cleared: \d+ user/);
      assert.match(run.stdout, /Acme IdP/);
      assert.match(run.stdout, /Queued before the loss/);

      const again = await runCli(['keys', 'replace-lost-secret', '--yes'], env);
      assert.equal(again.code, 1);
      assert.match(again.stderr, /nothing is lost/);
      assert.equal((await runCli(['requests', 'list'], env)).code, 0, 'commands run under the new key');

      const port = await freePort();
      const config = loadConfig({
        PORT: String(port), HOST: '127.0.0.1', GATEHOUSE_PUBLIC_URL: `http://localhost:${port}`, GATEHOUSE_DATA_DIR: server.database.dataDir,
        GATEHOUSE_DATABASE_URL: server.database.url, GATEHOUSE_SECRET_KEY: newKey, GATEHOUSE_SMTP_URL: server.mail.url, GATEHOUSE_MAIL_FROM: 'Gatehouse <noreply@gatehouse.test>',
      });
      restarted = await createGatehouse(config, { logger: false, mailWorkerIntervalMs: null, backchannelWorkerIntervalMs: null, answerFloorMs: 0 });
      await restarted.listen();
      const user = await restarted.deps.db.selectFrom('users').select(['totp_secret', 'totp_enrolled_at']).where('id', '=', rootRow.id).executeTakeFirstOrThrow();
      assert.deepEqual({ ...user }, { totp_secret: null, totp_enrolled_at: null });
      assert.equal(await codes(restarted.deps.db), 0, 'recovery codes keyed with the lost key are gone');
      const mail = await restarted.deps.db.selectFrom('outbox').select(['status', 'payload', 'last_error']).where('id', '=', mailId).executeTakeFirstOrThrow();
      assert.deepEqual({ status: mail.status, payload: mail.payload }, { status: 'failed', payload: null });
      assert.match(mail.last_error ?? '', /lost/);
      const provider = await restarted.deps.db.selectFrom('sso_providers').select('oidc_client_secret').where('id', '=', providerId).executeTakeFirstOrThrow();
      assert.equal(provider.oidc_client_secret, null);
      const notices = await restarted.deps.db.selectFrom('outbox').select(['subject', 'status']).where('company_id', '=', root.companyId).where('status', '!=', 'failed').execute();
      assert.ok(notices.some((row) => /two-factor authentication was reset/.test(row.subject)), 'the user is told, sealed under the new key (the command sends it)');
      const audit = await restarted.deps.db.selectFrom('audit_events').select('actor_id').where('action', '=', 'secret_key.replaced').execute();
      assert.deepEqual(audit.map((row) => row.actor_id), ['cli']);
      const sessions = await restarted.deps.db.selectFrom('sessions').select('id_hash').where('user_id', '=', rootRow.id).execute();
      assert.equal(sessions.length, 0, 'the sessions of a user whose 2FA was reset end, as at a 2FA reset');

      // The Root Master logs in again: the password, then the code mailed to them before 2FA is
      // set up anew (as after a Master's reset); not signed in before.
      const agent = new Agent(config.publicUrl.origin);
      assert.equal((await agent.post('/api/login/identify', { username: root.username, companyName: root.companyName })).status, 200);
      const afterPassword = await agent.post('/api/login/password', { password: root.password });
      assert.equal(afterPassword.status, 200, JSON.stringify(afterPassword.body));
      assert.equal(afterPassword.body.step, 'mail_code');
      assert.equal((await agent.get('/api/me')).status, 401, 'no signed-in state before 2FA is set up');
    } finally {
      await restarted?.close();
      await server.mail.close();
      await server.database.drop();
    }
  });
});

test('the embedded default with secret.key gone: the command writes a new one (0600) and commands run on it', async () => {
  const server = await startTestServer({ quietWorkers: true });
  await server.gatehouse.close();
  const env = { ...cleanEnv(), GATEHOUSE_DATA_DIR: server.database.dataDir, GATEHOUSE_DATABASE_URL: server.database.url, GATEHOUSE_LOG_LEVEL: 'warn' };
  const keyFile = path.join(server.database.dataDir, 'secret.key');
  try {
    assert.ok(!existsSync(keyFile));
    assert.equal((await runCli(['requests', 'list'], env)).code, 1, 'refused without a key');
    const run = await runCli(['keys', 'replace-lost-secret', '--yes'], env);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /Wrote the new secret key to .*secret\.key/);
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    assert.equal((await runCli(['requests', 'list'], env)).code, 0, 'commands run on the new key file');
  } finally {
    await server.mail.close();
    await server.database.drop();
  }
});

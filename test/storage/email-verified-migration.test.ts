// Migration 0029 on a database that already holds users, on both engines: who is counted
// as having an address Gatehouse saw reach them (email_verified_at set to their creation).
// A customer company's user with an address and a password set it through a link mailed
// there; unless the company's provider has replaced the address since. Users the provider
// made (no password), users without an address, and operators (their links are printed
// on the server, never mailed) are not.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import { migrateToLatest, type Storage } from '../../src/storage/index.ts';
import { enginesUnderTest, type TestDatabase } from '../helpers/databases.ts';
import { migratedBefore } from '../helpers/migrated-before.ts';

for (const engine of await enginesUnderTest()) {
  describe(`migration 0029: verified addresses (${engine})`, () => {
    let database: TestDatabase;
    let storage: Storage;
    let raw: Kysely<any>;
    const company = (id: string, isPlatform: number) => ({ id, name: id, name_key: id, case_key: id, status: 'active', is_platform: isPlatform, created_at: 1 });
    const user = (id: string, companyId: string, email: string, passwordHash: string | null) => ({
      id,
      company_id: companyId,
      username: id,
      username_key: id,
      case_key: id,
      email,
      display_name: id,
      role: 'user',
      status: 'active',
      password_hash: passwordHash,
      totp_secret: null,
      totp_enrolled_at: null,
      totp_last_step: null,
      failed_logins: 0,
      locked_until: null,
      created_at: 100 + id.length,
    });
    const audit = (companyId: string, target: string, action: string, detail: object) => ({
      company_id: companyId, actor_id: null, action, target, ip: null, user_agent: null, detail: JSON.stringify(detail), created_at: 5,
    });

    before(async () => {
      ({ database, storage, raw } = await migratedBefore(engine, '0029'));
      await raw.insertInto('companies').values([company('acme', 0), company('platform', 1)]).execute();
      await raw.insertInto('users').values([
        user('signedup', 'acme', 'signedup@acme.test', 'hash'),
        user('provisioned', 'acme', 'provisioned@elsewhere.test', null),
        user('noaddress', 'acme', '', 'hash'),
        user('replaced', 'acme', 'replaced@elsewhere.test', 'hash'),
        user('renamed', 'acme', 'renamed@acme.test', 'hash'),
        user('operator', 'platform', 'operator@localhost', 'hash'),
      ]).execute();
      await raw.insertInto('audit_events').values([
        audit('acme', 'replaced', 'sso.user_updated', { provider: 'p1', fields: ['email', 'display_name'] }),
        audit('acme', 'renamed', 'sso.user_updated', { provider: 'p1', fields: ['display_name'] }),
      ]).execute();
      await migrateToLatest(raw);
    });
    after(async () => {
      await storage.close();
      await database.drop();
    });

    test('only users who set a password through a link mailed to the address they still have count as verified', async () => {
      const rows = await raw.selectFrom('users').select(['id', 'created_at', 'email_verified_at']).orderBy('id').execute();
      const verified = Object.fromEntries(rows.map((row) => [row.id, row.email_verified_at === null ? null : Number(row.email_verified_at) === Number(row.created_at)]));
      assert.deepEqual(verified, { noaddress: null, operator: null, provisioned: null, renamed: true, replaced: null, signedup: true });
    });
  });
}

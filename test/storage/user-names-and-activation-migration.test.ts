// Migrations 0035 and 0036 on a database that already holds users and a trail, on both
// engines. 0035: who was ever active (activated_at) — everyone active now, or with a
// password or a completed login, and a deactivated user the company's provider made or
// took up (its sso.user_provisioned, or sso.user_updated naming `status`); an invitee who
// never signed up stays null. 0036: every user.deleted event's user keeps its name, so the
// events they made still name them.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import { migrateToLatest, type Storage } from '../../src/storage/index.ts';
import { queryAudit } from '../../src/audit/query.ts';
import { enginesUnderTest, type TestDatabase } from '../helpers/databases.ts';
import { migratedBefore } from '../helpers/migrated-before.ts';

for (const engine of await enginesUnderTest()) {
  describe(`migrations 0035 and 0036: who was active, and deleted users' names (${engine})`, () => {
    let database: TestDatabase;
    let storage: Storage;
    let raw: Kysely<any>;
    const user = (id: string, status: string, passwordHash: string | null, lastLoginAt: number | null = null) => ({
      id, company_id: 'acme', username: id, username_key: id, case_key: id, email: `${id}@acme.test`, display_name: id, role: 'user', status,
      password_hash: passwordHash, totp_secret: null, totp_enrolled_at: null, totp_last_step: null, failed_logins: 0, locked_until: null,
      created_at: 100, last_login_at: lastLoginAt,
    });
    const audit = (actorId: string | null, action: string, target: string, detail: object, createdAt: number) => ({
      company_id: 'acme', actor_id: actorId, action, target, ip: null, user_agent: null, detail: JSON.stringify(detail), created_at: createdAt,
    });

    before(async () => {
      ({ database, storage, raw } = await migratedBefore(engine, '0035'));
      await raw.insertInto('companies').values({ id: 'acme', name: 'Acme', name_key: 'acme', case_key: 'acme', status: 'active', is_platform: 0, created_at: 1 }).execute();
      await raw.insertInto('users').values([
        user('active', 'active', 'hash'),
        user('invitee', 'invited', null),
        user('disabledsignedup', 'disabled', 'hash'),
        user('disabledlogin', 'disabled', null, 500),
        user('provisioned', 'disabled', null),
        user('takenup', 'disabled', null),
        user('neverjoined', 'disabled', null),
        user('root', 'active', 'hash'),
      ]).execute();
      await raw.insertInto('audit_events').values([
        audit(null, 'sso.user_provisioned', 'provisioned', { provider: 'p1', username: 'provisioned' }, 300),
        audit('takenup', 'sso.user_updated', 'takenup', { provider: 'p1', fields: ['status'] }, 400),
        audit('gone', 'policy.changed', 'acme', { lockoutThreshold: 20 }, 600),
        audit('root', 'user.deleted', 'gone', { username: 'mallory', email: 'm@acme.test', role: 'master' }, 700),
      ]).execute();
      await migrateToLatest(raw);
    });
    after(async () => {
      await storage.close();
      await database.drop();
    });

    test('0035: activated_at for those who were ever active, and only them', async () => {
      const rows = await raw.selectFrom('users').select(['id', 'activated_at']).orderBy('id').execute();
      assert.deepEqual(Object.fromEntries(rows.map((r) => [r.id, r.activated_at === null ? null : Number(r.activated_at)])), {
        active: 100, disabledlogin: 100, disabledsignedup: 100, invitee: null, neverjoined: null, provisioned: 300, root: 100, takenup: 400,
      });
    });

    test('0036: the deleted user still names the events they made', async () => {
      const [policy] = await queryAudit(storage.db, { companyId: 'acme', action: 'policy.changed', limit: 10 });
      assert.deepEqual(policy?.actor, { id: 'gone', username: 'mallory' });
    });
  });
}

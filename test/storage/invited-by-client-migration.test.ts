// Migration 0030 on a database with invitations pending, on both engines: an invitation an
// API client sent (or resent last) records that client as its sender, so it dies with the
// client (src/users/signup.ts, inviterStillStands); one a Master sent, and users no longer
// invited, record none.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import { migrateToLatest, type Storage } from '../../src/storage/index.ts';
import { enginesUnderTest, type TestDatabase } from '../helpers/databases.ts';
import { migratedBefore } from '../helpers/migrated-before.ts';

for (const engine of await enginesUnderTest()) {
  describe(`migration 0030: the API client behind an invitation (${engine})`, () => {
    let database: TestDatabase;
    let storage: Storage;
    let raw: Kysely<any>;
    const user = (id: string, status: string, invitedBy: string | null) => ({
      id, company_id: 'acme', username: id, username_key: id, case_key: id, email: `${id}@acme.test`, display_name: id, role: 'user', status,
      password_hash: null, totp_secret: null, totp_enrolled_at: null, totp_last_step: null, failed_logins: 0, locked_until: null, created_at: 1, invited_by: invitedBy,
    });
    const event = (target: string, action: string, actorId: string | null, actorClientId: string | null, createdAt: number) => ({
      company_id: 'acme', actor_id: actorId, actor_client_id: actorClientId, action, target, ip: null, user_agent: null, detail: null, created_at: createdAt,
    });

    before(async () => {
      ({ database, storage, raw } = await migratedBefore(engine, '0030'));
      await raw.insertInto('companies').values({ id: 'acme', name: 'Acme', name_key: 'acme', case_key: 'acme', status: 'active', is_platform: 0, created_at: 1 }).execute();
      await raw.insertInto('users').values([
        user('master', 'active', null),
        user('byclient', 'invited', null),
        user('resentbyclient', 'invited', null),
        user('bymaster', 'invited', 'master'),
        user('signedup', 'active', null),
      ]).execute();
      // In the order they happened: audit ids grow with time.
      await raw.insertInto('audit_events').values(event('byclient', 'user.invited', null, 'client-1', 2)).execute();
      await raw.insertInto('audit_events').values(event('resentbyclient', 'user.invited', 'master', null, 2)).execute();
      await raw.insertInto('audit_events').values(event('resentbyclient', 'user.invite_resent', null, 'client-2', 3)).execute();
      await raw.insertInto('audit_events').values(event('bymaster', 'user.invited', 'master', null, 2)).execute();
      await raw.insertInto('audit_events').values(event('signedup', 'user.invited', null, 'client-1', 2)).execute();
      await migrateToLatest(raw);
    });
    after(async () => {
      await storage.close();
      await database.drop();
    });

    test('pending invitations a client sent or resent last name it; the others name no client', async () => {
      const rows = await raw.selectFrom('users').select(['id', 'invited_by_client']).orderBy('id').execute();
      assert.deepEqual(Object.fromEntries(rows.map((row) => [row.id, row.invited_by_client])), {
        bymaster: null, byclient: 'client-1', master: null, resentbyclient: 'client-2', signedup: null,
      });
    });
  });
}

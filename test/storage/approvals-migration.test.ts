// Migration 0012 on a database that already holds approvals and API clients, on both
// engines: every approval keeps its requester and state (SQLite rebuilds the table), the
// one-pending-per-user rule still holds, a row must name exactly one requester, and each
// existing client's secret holder is its creator.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import { migrateToLatest, type Storage } from '../../src/storage/index.ts';
import { enginesUnderTest, type TestDatabase } from '../helpers/databases.ts';
import { migratedBefore } from '../helpers/migrated-before.ts';

for (const engine of await enginesUnderTest()) {
  describe(`migration 0012: approvals an API client asked for (${engine})`, () => {
    let database: TestDatabase;
    let storage: Storage;
    let raw: Kysely<any>;
    const approval = (id: string, status: string, requester: { user?: string; client?: string }) => ({
      id,
      company_id: 'c-1',
      action: 'reset_2fa',
      target_user_id: 'u-2',
      requested_by: requester.user ?? null,
      requested_by_client_id: requester.client ?? null,
      status,
      decided_by: null,
      decided_at: null,
      created_at: 5,
    });

    before(async () => {
      ({ database, storage, raw } = await migratedBefore(engine, '0012'));
      await raw.insertInto('companies').values({ id: 'c-1', name: 'Acme', name_key: 'acme', look_key: 'acme', status: 'active', is_platform: 0, created_at: 1 }).execute();
      const { requested_by_client_id: _, ...pending } = approval('a-1', 'pending', { user: 'u-1' });
      const { requested_by_client_id: __, ...decided } = { ...approval('a-2', 'approved', { user: 'u-1' }), decided_by: 'u-3', decided_at: 9 };
      await raw.insertInto('approvals').values([pending, decided]).execute();
      await raw
        .insertInto('api_clients')
        .values({ id: 'k-1', client_id: 'ghapi_x', company_id: 'c-1', name: 'Sync', scopes: '["users:read"]', secret_hash: 'h', expires_at: null, created_by: 'u-1', created_at: 1, last_used_at: null, deleted_at: null })
        .execute();
      await migrateToLatest(raw);
    });
    after(async () => {
      await storage.close();
      await database.drop();
    });

    test('approvals keep their rows; clients get their creator as secret holder', async () => {
      const rows = await raw.selectFrom('approvals').selectAll().orderBy('id').execute();
      assert.deepEqual(
        rows.map((r) => [r.id, r.status, r.requested_by, r.requested_by_client_id, r.decided_by, Number(r.created_at)]),
        [
          ['a-1', 'pending', 'u-1', null, null, 5],
          ['a-2', 'approved', 'u-1', null, 'u-3', 5],
        ],
      );
      const client = await raw.selectFrom('api_clients').select('secret_holder').executeTakeFirstOrThrow();
      assert.equal(client.secret_holder, 'u-1');
    });

    test('one pending reset per user, and exactly one requester per approval', async () => {
      await assert.rejects(raw.insertInto('approvals').values(approval('a-3', 'pending', { client: 'k-1' })).execute(), 'a second pending reset for the user');
      await assert.rejects(raw.insertInto('approvals').values(approval('a-4', 'rejected', {})).execute(), 'no requester');
      await assert.rejects(raw.insertInto('approvals').values(approval('a-5', 'rejected', { user: 'u-1', client: 'k-1' })).execute(), 'two requesters');
      await raw.insertInto('approvals').values(approval('a-6', 'rejected', { client: 'k-1' })).execute();
      assert.equal((await raw.selectFrom('approvals').select('id').where('requested_by_client_id', '=', 'k-1').execute()).length, 1);
    });
  });
}

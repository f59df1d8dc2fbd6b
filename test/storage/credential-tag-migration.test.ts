// Migration 0028 on a database that already holds API clients, on both engines: each row
// gets the tag its tokens carry (the provider derives it from the stored secret hash), so a
// token obtained before the upgrade still works after it, and the migration's frozen copy
// of the derivation is checked against the application's.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import { credentialTag } from '../../src/api-clients/index.ts';
import { migrateToLatest, type Storage } from '../../src/storage/index.ts';
import { enginesUnderTest, type TestDatabase } from '../helpers/databases.ts';
import { migratedBefore } from '../helpers/migrated-before.ts';

for (const engine of await enginesUnderTest()) {
  describe(`migration 0028: API clients' credential tags (${engine})`, () => {
    let database: TestDatabase;
    let storage: Storage;
    let raw: Kysely<any>;
    const client = (id: string, secretHash: string, deletedAt: number | null) => ({
      id,
      client_id: `ghapi_${id}`,
      company_id: null,
      name: `Sync ${id}`,
      scopes: '["companies:read"]',
      secret_hash: secretHash,
      expires_at: null,
      created_by: 'cli',
      secret_holder: 'cli',
      created_at: 1,
      last_used_at: null,
      deleted_at: deletedAt,
    });

    before(async () => {
      ({ database, storage, raw } = await migratedBefore(engine, '0028'));
      await raw.insertInto('api_clients').values([client('k1', 'hash-one', null), client('k2', 'hash-two', null), client('k3', 'hash-three', 5)]).execute();
      await migrateToLatest(raw);
    });
    after(async () => {
      await storage.close();
      await database.drop();
    });

    test("every client's row holds the tag of its secret hash, as the application derives it", async () => {
      const rows = await raw.selectFrom('api_clients').select(['id', 'secret_hash', 'credential_tag']).orderBy('id').execute();
      assert.deepEqual(
        rows.map((r) => [r.id, r.credential_tag]),
        rows.map((r) => [r.id, credentialTag(r.secret_hash)]),
      );
      assert.equal(new Set(rows.map((r) => r.credential_tag)).size, 3, 'one tag per secret');
    });
  });
}

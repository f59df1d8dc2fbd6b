// Migration 0008 on a database that already holds look-alike names, on both engines:
// every key is recomputed, no row is lost, the oldest of a colliding pair keeps the name,
// the later one is flagged (LEGACY:) and its users still find it by its exact name, and
// no new look-alike can be created afterwards.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import { createCompany, findCompanyByName } from '../../src/companies/store.ts';
import { LEGACY_KEY_MARK, legacyNameKey, nameKey } from '../../src/shared/text.ts';
import { migrateToLatest, type Storage } from '../../src/storage/index.ts';
import { createUser, findUserByUsername } from '../../src/users/index.ts';
import { enginesUnderTest, type TestDatabase } from '../helpers/databases.ts';
import { migratedBefore } from '../helpers/migrated-before.ts';

for (const engine of await enginesUnderTest()) {
  describe(`migration 0008: confusable-aware name keys over existing rows (${engine})`, () => {
    let database: TestDatabase;
    let storage: Storage;
    const ids = { acme: 'c-1', greekAcme: 'c-2', globex: 'c-3' };
    before(async () => {
      let raw: Kysely<any>;
      ({ database, storage, raw } = await migratedBefore(engine, '0008'));
      // Rows as the previous release stored them: keys only case- and space-folded.
      const company = (id: string, name: string, at: number) =>
        raw.insertInto('companies').values({ id, name, name_key: legacyNameKey(name), status: 'active', is_platform: 0, created_at: at }).execute();
      await company(ids.acme, 'Acme', 1);
      await company(ids.greekAcme, 'Αcme', 2); // Greek capital Alpha
      await company(ids.globex, 'GLOBEX', 3);
      const user = (id: string, username: string, at: number) =>
        raw
          .insertInto('users')
          .values({ id, company_id: ids.acme, username, username_key: legacyNameKey(username), email: `${id}@x.test`, display_name: username, role: 'user', status: 'active', created_at: at })
          .execute();
      await user('u-1', 'root', 1);
      await user('u-2', 'rооt', 2); // Cyrillic o
      await user('u-3', 'R00T', 3); // zeros
      const request = (id: string, name: string, at: number) =>
        raw
          .insertInto('account_requests')
          .values({ id, company_name: name, name_key: legacyNameKey(name), contact_name: 'C', email: 'c@x.test', phone: '+1 555 0100', source: 'public', status: 'pending', created_at: at })
          .execute();
      await request('r-1', 'Initech', 1);
      await request('r-2', 'Ιnitech', 2); // Greek capital Iota
      await migrateToLatest(raw);
    });
    after(async () => {
      await storage.close();
      await database.drop();
    });

    test('keys are recomputed; the later look-alike is kept and flagged', async () => {
      const rows = await storage.db.selectFrom('companies').select(['id', 'name', 'name_key']).orderBy('created_at').execute();
      assert.deepEqual(
        rows.map((r) => [r.id, r.name_key]),
        [
          [ids.acme, nameKey('Acme')],
          [ids.greekAcme, `${LEGACY_KEY_MARK}αcme`],
          [ids.globex, nameKey('globex')],
        ],
      );
      const users = await storage.db.selectFrom('users').select(['id', 'username_key']).orderBy('created_at').execute();
      assert.deepEqual(users.map((u) => u.username_key), [nameKey('root'), `${LEGACY_KEY_MARK}rооt`, `${LEGACY_KEY_MARK}r00t`]);
      const requests = await storage.db.selectFrom('account_requests').select(['id', 'name_key']).orderBy('created_at').execute();
      assert.deepEqual(requests.map((r) => r.name_key), [nameKey('Initech'), `${LEGACY_KEY_MARK}ιnitech`]);
    });

    test('logins still find every row: by any spelling for the original, by its exact name for the flagged one', async () => {
      assert.equal((await findCompanyByName(storage.db, 'ACME'))?.id, ids.acme);
      assert.equal((await findCompanyByName(storage.db, 'аcme'))?.id, ids.acme, 'Cyrillic a finds the original');
      assert.equal((await findCompanyByName(storage.db, 'αCME'))?.id, ids.greekAcme, 'the exact old spelling finds the flagged one');
      assert.equal((await findCompanyByName(storage.db, 'globex'))?.id, ids.globex);
      assert.equal((await findUserByUsername(storage.db, ids.acme, 'ROOT'))?.id, 'u-1');
      assert.equal((await findUserByUsername(storage.db, ids.acme, 'rооt'))?.id, 'u-2');
      assert.equal((await findUserByUsername(storage.db, ids.acme, 'r00t'))?.id, 'u-3');
    });

    test('no new look-alike gets in afterwards', async () => {
      for (const name of ['acme', 'Аcme', 'G L O B E X'.replace(/ /g, ''), 'GLΟBEX']) {
        await assert.rejects(createCompany(storage.db, { name }, 10), { code: 'company.name_taken' }, name);
      }
      await assert.rejects(
        createUser(storage.db, ids.acme, { username: 'r0ot', email: 'x@x.test', displayName: 'X', role: 'user' }, 10),
        { code: 'user.username_taken' },
      );
    });
  });
}

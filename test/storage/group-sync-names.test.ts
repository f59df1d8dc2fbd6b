// Group sync (src/groups/sync.ts) finds a company's groups by the names an identity
// provider sends, as every other name is found: by its look-alike key or its case key
// (shared/text.ts). A group sent in another case, or in letters that imitate its own,
// is the same group; another company's group of the same name never is.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createCompany } from '../../src/companies/store.ts';
import { replaceMembershipsByGroupNames } from '../../src/groups/index.ts';
import { caseKey, nameKey } from '../../src/shared/text.ts';
import { openStorage, type Storage } from '../../src/storage/index.ts';
import { createUser } from '../../src/users/index.ts';
import { createTestDatabase, enginesUnderTest, storageSettingsOf, type TestDatabase } from '../helpers/databases.ts';

const NOW = Date.UTC(2026, 11, 2, 6);

for (const engine of await enginesUnderTest()) {
  describe(`group sync by name (${engine})`, () => {
    let database: TestDatabase;
    let storage: Storage;
    const ids: Record<string, string> = {};

    before(async () => {
      database = await createTestDatabase(engine);
      storage = await openStorage(storageSettingsOf(database));
      for (const company of ['Northwind', 'Contoso']) {
        ids[company] = (await createCompany(storage.db, { name: company }, NOW)).id;
        for (const group of ['Гоша', 'Ops Team']) {
          const id = randomUUID();
          ids[`${company}/${group}`] = id;
          await storage.db
            .insertInto('groups')
            .values({ id, company_id: ids[company] as string, name: group, name_key: nameKey(group), case_key: caseKey(group), created_at: NOW })
            .execute();
        }
      }
      ids.ada = (await createUser(storage.db, ids.Northwind as string, { username: 'ada', email: 'ada@northwind.test', displayName: 'Ada', role: 'user' }, NOW)).id;
    });
    after(async () => {
      await storage.close();
      await database.drop();
    });

    const memberships = async () =>
      (await storage.db.selectFrom('group_members').select('group_id').where('user_id', '=', ids.ada as string).execute()).map((row) => row.group_id).sort();

    test("a group named in another case, or in look-alike letters, is the company's own group, once", async () => {
      // Cyrillic in capitals (its case partner does not imitate a Latin letter), and
      // "Ops Team" with a Cyrillic О and both spellings at once.
      const sync = await replaceMembershipsByGroupNames(storage.db, NOW, ids.Northwind as string, ids.ada as string, ['ГОША', 'OPS TEAM', 'Оps team']);
      assert.deepEqual(sync.added, ['Ops Team', 'Гоша']);
      assert.deepEqual(await memberships(), [ids['Northwind/Ops Team'], ids['Northwind/Гоша']].sort(), "only Northwind's groups, each once");
    });

    test('names no group has leave the user in none', async () => {
      const sync = await replaceMembershipsByGroupNames(storage.db, NOW, ids.Northwind as string, ids.ada as string, ['Finance']);
      assert.deepEqual(sync.added, []);
      assert.equal(sync.removed.length, 2);
      assert.deepEqual(await memberships(), []);
    });
  });
}

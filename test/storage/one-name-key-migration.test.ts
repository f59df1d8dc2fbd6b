// Migration 0016 on a database whose names passed both of the old keys while looking
// alike ("Acme ClﻪꞟᏧ" beside "Acme Cloud"), on both engines: every key is recomputed, no
// row is lost, the oldest of a colliding pair keeps the name, the later one is flagged
// (LEGACY:) and still found by its exact name, look_key is gone, and no new look-alike
// gets in afterwards.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import { createCompany, findCompanyByName } from '../../src/companies/store.ts';
import { readIdentifiedNames } from '../../src/login/identify-read.ts';
import { caseKey, LEGACY_KEY_MARK, legacyNameKey, nameKey } from '../../src/shared/text.ts';
import { migrateToLatest, type Storage } from '../../src/storage/index.ts';
import { createUser, findUserByUsername } from '../../src/users/index.ts';
import { enginesUnderTest, type TestDatabase } from '../helpers/databases.ts';
import { migratedBefore } from '../helpers/migrated-before.ts';

// The keys the previous release stored: name_key folded case first, look_key mapped the
// name in capitals. Each missed a different letter of the imitation, so neither collided.
const OLD_KEYS: Record<string, [string, string]> = {
  'Acme Cloud': ['acrne cloud', 'acrne cloud'],
  'Acme ClﻪꞟᏧ': ['acrne clouꮷ', 'acrne cloꓤd'],
  'Umbrella': ['urnbrella', 'urnbrella'],
  cloud: ['cloud', 'cloud'],
  'clﻪꞟᏧ': ['clouꮷ', 'cloꓤd'],
};
const keysOf = (name: string) => {
  const [name_key, look_key] = OLD_KEYS[name] ?? assert.fail(name);
  return { name_key, look_key };
};

for (const engine of await enginesUnderTest()) {
  describe(`migration 0016: one key per name over existing rows (${engine})`, () => {
    let database: TestDatabase;
    let storage: Storage;
    before(async () => {
      let raw: Kysely<any>;
      ({ database, storage, raw } = await migratedBefore(engine, '0016'));
      const company = (id: string, name: string, at: number) =>
        raw.insertInto('companies').values({ id, name, ...keysOf(name), status: 'active', is_platform: 0, created_at: at }).execute();
      // The imitation is older here: the oldest row keeps the name, whichever it is.
      await company('c-imitation', 'Acme ClﻪꞟᏧ', 1);
      await company('c-original', 'Acme Cloud', 2);
      await company('c-other', 'Umbrella', 3);
      const user = (id: string, username: string, at: number) => {
        const { name_key, look_key } = keysOf(username);
        return raw
          .insertInto('users')
          .values({ id, company_id: 'c-other', username, username_key: name_key, look_key, email: `${id}@x.test`, display_name: username, role: 'user', status: 'active', created_at: at })
          .execute();
      };
      await user('u-original', 'cloud', 1);
      await user('u-imitation', 'clﻪꞟᏧ', 2);
      const group = (id: string, name: string, at: number) => raw.insertInto('groups').values({ id, company_id: 'c-other', name, ...keysOf(name), created_at: at }).execute();
      await group('g-original', 'cloud', 1);
      await group('g-imitation', 'clﻪꞟᏧ', 2);
      const request = (id: string, name: string, status: string, at: number) =>
        raw
          .insertInto('account_requests')
          .values({ id, company_name: name, ...keysOf(name), contact_name: 'C', email: 'c@x.test', phone: '+1 555 0100', source: 'public', status, created_at: at })
          .execute();
      await request('r-original', 'cloud', 'pending', 1);
      await request('r-imitation', 'clﻪꞟᏧ', 'pending', 2);
      await request('r-decided', 'clﻪꞟᏧ', 'rejected', 3);
      await migrateToLatest(raw);
    });
    after(async () => {
      await storage.close();
      await database.drop();
    });

    test('keys are recomputed; the later look-alike is kept and flagged, in every table', async () => {
      const keys = async (table: 'companies' | 'groups' | 'account_requests') =>
        (await storage.db.selectFrom(table).select(['id', 'name_key']).orderBy('created_at').execute()).map((r) => [r.id, r.name_key]);
      assert.deepEqual(await keys('companies'), [
        ['c-imitation', nameKey('Acme Cloud')],
        ['c-original', LEGACY_KEY_MARK + legacyNameKey('Acme Cloud')],
        ['c-other', nameKey('Umbrella')],
      ]);
      const users = await storage.db.selectFrom('users').select(['id', 'username_key']).orderBy('created_at').execute();
      assert.deepEqual(users.map((u) => [u.id, u.username_key]), [['u-original', nameKey('cloud')], ['u-imitation', LEGACY_KEY_MARK + legacyNameKey('clﻪꞟᏧ')]]);
      assert.deepEqual(await keys('groups'), [['g-original', nameKey('cloud')], ['g-imitation', LEGACY_KEY_MARK + legacyNameKey('clﻪꞟᏧ')]]);
      // A decided request holds no name: it takes the key, beside the pending one.
      assert.deepEqual(await keys('account_requests'), [
        ['r-original', nameKey('cloud')],
        ['r-imitation', LEGACY_KEY_MARK + legacyNameKey('clﻪꞟᏧ')],
        ['r-decided', nameKey('cloud')],
      ]);
    });

    test('look_key is gone from every table; case_key is there, flagged with the row', async () => {
      for (const table of ['companies', 'users', 'groups', 'account_requests'] as const) {
        const row = await (storage.db as unknown as Kysely<any>).selectFrom(table).selectAll().executeTakeFirstOrThrow();
        assert.equal('look_key' in row, false, table);
      }
      const companies = await storage.db.selectFrom('companies').select(['id', 'name', 'case_key']).orderBy('created_at').execute();
      assert.deepEqual(
        companies.map((c) => c.case_key),
        [caseKey('Acme ClﻪꞟᏧ'), `${LEGACY_KEY_MARK}c-original`, caseKey('Umbrella')],
      );
    });

    test('logins still find every row: by any spelling for the key holder, by its exact name for the flagged one', async () => {
      assert.equal((await findCompanyByName(storage.db, 'Acme ClﻪꞟᏧ'))?.id, 'c-imitation');
      assert.equal((await findCompanyByName(storage.db, 'Аcme Cloud'))?.id, 'c-imitation', 'Cyrillic А: the key holder');
      assert.equal((await findCompanyByName(storage.db, 'ACME CLOUD'))?.id, 'c-original', 'its old spelling, in any case, finds the flagged one');
      assert.equal((await findUserByUsername(storage.db, 'c-other', 'CLOUD'))?.id, 'u-original');
      assert.equal((await findUserByUsername(storage.db, 'c-other', 'clﻪꞟᏧ'))?.id, 'u-imitation');
      // Identify's one read chooses as the lookups do.
      const identified = async (company: string, user: string) => {
        const { companyId, userId } = await readIdentifiedNames(storage.db, company, user);
        return [companyId, userId];
      };
      assert.deepEqual(await identified('ACME CLOUD', 'x'), ['c-original', null]);
      assert.deepEqual(await identified('Acme ClﻪꞟᏧ', 'x'), ['c-imitation', null]);
      assert.deepEqual(await identified('umbrella', 'CLOUD'), ['c-other', 'u-original']);
      assert.deepEqual(await identified('umbrella', 'clﻪꞟᏧ'), ['c-other', 'u-imitation']);
      assert.deepEqual(await identified('no such company', 'cloud'), [null, null]);
    });

    test('no new look-alike or case variant gets in afterwards', async () => {
      await createUser(storage.db, 'c-other', { username: 'гоша', email: 'g@x.test', displayName: 'G', role: 'user' }, 10);
      await assert.rejects(createUser(storage.db, 'c-other', { username: 'ГОША', email: 'g2@x.test', displayName: 'G', role: 'user' }, 10), {
        code: 'user.username_taken',
      });
      assert.equal((await findUserByUsername(storage.db, 'c-other', 'ГОША'))?.username, 'гоша', 'found in any case');
      for (const name of ['ACME CLOUD', 'Acme ClouᏧ', 'AcMe ClﻪꞟD']) {
        await assert.rejects(createCompany(storage.db, { name }, 10), { code: 'company.name_taken' }, name);
      }
      await assert.rejects(createUser(storage.db, 'c-other', { username: 'CL0UD', email: 'x@x.test', displayName: 'X', role: 'user' }, 10), {
        code: 'user.username_taken',
      });
      const fresh = await createUser(storage.db, 'c-other', { username: 'fafe', email: 'f@x.test', displayName: 'F', role: 'user' }, 10);
      assert.equal(fresh.username_key, nameKey('fafe'));
      assert.equal(nameKey('ſafe'), nameKey('safe'), 'typed today, long s is saved as s, and keyed as s');
      await createUser(storage.db, 'c-other', { username: 'safe', email: 's@x.test', displayName: 'S', role: 'user' }, 10);
    });
  });
}

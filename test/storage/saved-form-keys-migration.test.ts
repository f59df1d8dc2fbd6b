// Migration 0020 on a database as the previous release left it, on both engines: names were
// saved tidied (NFKC) but keyed as typed, so "ᴾayroll Inc" was saved as "Payroll Inc"
// under a key of its own, beside the real "Payroll Inc". Every key is recomputed from the
// saved name; no row is lost; the oldest of a colliding pair keeps the name; a later twin
// saved under the keeper's very name is flagged under its id (it must not answer to that
// name at login), one saved under a look-alike of it keeps its exact name behind LEGACY:
// as migration 0016 flags; rows flagged before keep their flag; no twin gets in afterwards.
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

// The keys the previous release stored for the name as typed (its nameKey and caseKey).
const OLD_KEYS: Record<string, string> = {
  'Payroll Inc': 'payroii inc',
  '\u1D3Eayroll Inc': '\u18D6ayroii inc',
  '\u1DBBeta Labs': '\u1646eta iabs',
  'Zeta Labs': 'zeta iabs',
  'Umbrella': 'urnbreiia',
  zed: 'zed',
  '\u1DBBed': '\u1646ed',
  '\u1D3Eaul': '\u18D6aui',
  Paul: 'paui',
  '\u0420\u0430yroll': 'payroii',
  '\u1D3Eayroll': '\u18D6ayroii',
  '\u0420\u0430yroll Team': 'payroii tearn',
  '\u1D3Eayroll Team': '\u18D6ayroii tearn',
};
/** What the previous release stored for `typed`: the name tidied, both keys of the name as typed. */
const saved = (typed: string) => {
  const key = OLD_KEYS[typed] ?? assert.fail(typed);
  return { name: typed.normalize('NFKC'), key, case_key: key };
};
const flaggedUnder = (id: string) => ({ key: `${LEGACY_KEY_MARK}ROW ${id}`, caseKey: `${LEGACY_KEY_MARK}${id}` });
const fresh = (name: string) => ({ key: nameKey(name), caseKey: caseKey(name) });

for (const engine of await enginesUnderTest()) {
  describe(`migration 0020: names keyed as saved over existing rows (${engine})`, () => {
    let database: TestDatabase;
    let storage: Storage;
    before(async () => {
      let raw: Kysely<any>;
      ({ database, storage, raw } = await migratedBefore(engine, '0020'));
      const company = (id: string, typed: string, at: number, flag?: { name: string }) => {
        const { name, key, case_key } = flag ? { name: flag.name, key: LEGACY_KEY_MARK + legacyNameKey(flag.name), case_key: `${LEGACY_KEY_MARK}${id}` } : saved(typed);
        return raw.insertInto('companies').values({ id, name, name_key: key, case_key, status: 'active', is_platform: 0, created_at: at }).execute();
      };
      await company('c-holder', 'Payroll Inc', 1);
      await company('c-twin', '\u1D3Eayroll Inc', 2);
      await company('c-zeta', '\u1DBBeta Labs', 3);
      await company('c-flagged', '', 4, { name: 'Acme Cloud' });
      await company('c-other', 'Umbrella', 5);
      const user = (id: string, typed: string, at: number) => {
        const { name, key, case_key } = saved(typed);
        return raw
          .insertInto('users')
          .values({ id, company_id: 'c-other', username: name, username_key: key, case_key, email: `${id}@x.test`, display_name: name, role: 'user', status: 'active', created_at: at })
          .execute();
      };
      await user('u-zed', 'zed', 1);
      await user('u-twin', '\u1DBBed', 2);
      await user('u-old-twin', '\u1D3Eaul', 3); // the twin is the older one here: it keeps the name
      await user('u-paul', 'Paul', 4);
      const group = (id: string, typed: string, at: number, flagged = false) => {
        const { name, key, case_key } = saved(typed);
        const keys = flagged ? { name_key: LEGACY_KEY_MARK + legacyNameKey(name), case_key: `${LEGACY_KEY_MARK}${id}` } : { name_key: key, case_key };
        return raw.insertInto('groups').values({ id, company_id: 'c-other', name, ...keys, created_at: at }).execute();
      };
      await group('g-holder', '\u0420\u0430yroll', 1); // Cyrillic Р and а
      await group('g-flagged', '\u1D3Eayroll', 2, true); // flagged before (by 0016) under "Payroll"
      await group('g-twin', '\u1D3Eayroll', 3);
      await group('g-team-holder', '\u0420\u0430yroll Team', 4);
      await group('g-team', '\u1D3Eayroll Team', 5);
      const request = (id: string, typed: string, status: string, at: number) => {
        const { name, key, case_key } = saved(typed);
        return raw
          .insertInto('account_requests')
          .values({ id, company_name: name, name_key: key, case_key, contact_name: 'C', email: 'c@x.test', phone: '+1 555 0100', source: 'public', status, created_at: at })
          .execute();
      };
      await request('r-holder', 'Zeta Labs', 'pending', 1);
      await request('r-twin', '\u1DBBeta Labs', 'pending', 2);
      await request('r-decided', '\u1DBBeta Labs', 'rejected', 3);
      await migrateToLatest(raw);
    });
    after(async () => {
      await storage.close();
      await database.drop();
    });

    const keys = async (table: 'companies' | 'groups' | 'account_requests') =>
      (await storage.db.selectFrom(table).select(['id', 'name_key as key', 'case_key as caseKey']).orderBy('created_at').execute()).map(({ id, key, caseKey: c }) => [id, { key, caseKey: c }]);

    test('every key is that of the saved name; the later twin is kept and flagged; flagged rows keep their flag', async () => {
      assert.deepEqual(await keys('companies'), [
        ['c-holder', fresh('Payroll Inc')],
        ['c-twin', flaggedUnder('c-twin')],
        ['c-zeta', fresh('zeta Labs')],
        ['c-flagged', { key: LEGACY_KEY_MARK + legacyNameKey('Acme Cloud'), caseKey: `${LEGACY_KEY_MARK}c-flagged` }],
        ['c-other', fresh('Umbrella')],
      ]);
      const users = await storage.db.selectFrom('users').select(['id', 'username_key as key', 'case_key as caseKey']).orderBy('created_at').execute();
      assert.deepEqual(users.map(({ id, key, caseKey: c }) => [id, { key, caseKey: c }]), [
        ['u-zed', fresh('zed')],
        ['u-twin', flaggedUnder('u-twin')],
        ['u-old-twin', fresh('Paul')],
        ['u-paul', flaggedUnder('u-paul')],
      ]);
      assert.deepEqual(await keys('groups'), [
        ['g-holder', fresh('\u0420\u0430yroll')],
        ['g-flagged', { key: LEGACY_KEY_MARK + legacyNameKey('Payroll'), caseKey: `${LEGACY_KEY_MARK}g-flagged` }],
        ['g-twin', flaggedUnder('g-twin')],
        ['g-team-holder', fresh('\u0420\u0430yroll Team')],
        // Saved under a look-alike of the keeper's name: flagged as 0016 flags, found by its exact name.
        ['g-team', { key: LEGACY_KEY_MARK + legacyNameKey('Payroll Team'), caseKey: `${LEGACY_KEY_MARK}g-team` }],
      ]);
      // A decided request holds no name: it takes the key, beside the pending one.
      assert.deepEqual(await keys('account_requests'), [
        ['r-holder', fresh('Zeta Labs')],
        ['r-twin', flaggedUnder('r-twin')],
        ['r-decided', fresh('zeta Labs')],
      ]);
    });

    test('login finds the row that keeps a name by its name, never the twin flagged beside it', async () => {
      assert.equal((await findCompanyByName(storage.db, 'Payroll Inc'))?.id, 'c-holder');
      assert.equal((await findCompanyByName(storage.db, '\u1D3Eayroll Inc'))?.id, 'c-holder');
      assert.equal((await findCompanyByName(storage.db, 'ZETA LABS'))?.id, 'c-zeta');
      assert.equal((await findUserByUsername(storage.db, 'c-other', 'zed'))?.id, 'u-zed');
      assert.equal((await findUserByUsername(storage.db, 'c-other', '\u1DBBed'))?.id, 'u-zed');
      assert.equal((await findUserByUsername(storage.db, 'c-other', 'Paul'))?.id, 'u-old-twin');
      const { companyId, userId } = await readIdentifiedNames(storage.db, 'umbrella', 'ZED');
      assert.deepEqual([companyId, userId], ['c-other', 'u-zed']);
    });

    test('no twin gets in afterwards', async () => {
      for (const username of ['\u1DBBed', 'ZED', '\u1D3Eaul']) {
        await assert.rejects(createUser(storage.db, 'c-other', { username, email: 'n@x.test', displayName: 'N', role: 'user' }, 10), { code: 'user.username_taken' }, username);
      }
      for (const name of ['\u1D3Eayroll Inc', 'Payroll Inc', 'Zeta Labs']) {
        await assert.rejects(createCompany(storage.db, { name }, 10), { code: 'company.name_taken' }, name);
      }
    });
  });
}

// Queries compiled once (src/shared/fixed-query.ts) answer exactly as the same query built
// each time, on both engines, in and out of transactions; a query whose argument would be
// spliced into its SQL, or left out of it, is refused when first used. On PostgreSQL they
// are sent as named prepared statements (src/storage/prepared-statements.ts), unless the
// operator turns that off (GATEHOUSE_POSTGRES_PREPARED=false, for a pooler that cannot
// keep them), and answer the same past the runs after which PostgreSQL keeps one plan.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { createCompany } from '../../src/companies/store.ts';
import { fixedQuery } from '../../src/shared/fixed-query.ts';
import { openStorage, type Storage } from '../../src/storage/index.ts';
import { createUser } from '../../src/users/index.ts';
import { createTestDatabase, enginesUnderTest, storageSettingsOf, type TestDatabase } from '../helpers/databases.ts';

const NOW = Date.UTC(2026, 11, 1, 12);

// The company's id appears twice (the user's row and the join): both places take it.
const userInCompany = fixedQuery((db, companyId: string, username: string) =>
  db
    .selectFrom('users')
    .innerJoin('companies', (join) => join.onRef('companies.id', '=', 'users.company_id').on('companies.id', '=', companyId))
    .select(['users.id', 'users.username', 'companies.name as companyName'])
    .where('users.company_id', '=', companyId)
    .where('users.username', '=', username)
    .where('users.role', 'in', ['user', 'master']),
);

for (const engine of await enginesUnderTest()) {
  describe(`fixed queries (${engine})`, () => {
    let database: TestDatabase;
    let storage: Storage;
    const ids: Record<string, string> = {};

    before(async () => {
      database = await createTestDatabase(engine);
      storage = await openStorage(storageSettingsOf(database));
      for (const name of ['Northwind', 'Contoso']) {
        const company = await createCompany(storage.db, { name }, NOW);
        ids[name] = company.id;
        const user = await createUser(storage.db, company.id, { username: 'ada', email: `ada@${name}.test`, displayName: 'Ada', role: 'user' }, NOW);
        ids[`ada@${name}`] = user.id;
      }
    });
    after(async () => {
      await storage.close();
      await database.drop();
    });

    test('each call binds its own arguments, and a company sees only its own user', async () => {
      for (const name of ['Northwind', 'Contoso']) {
        const rows = await userInCompany(storage.db, ids[name] as string, 'ada');
        assert.deepEqual(rows.map((row) => ({ ...row })), [{ id: ids[`ada@${name}`], username: 'ada', companyName: name }]);
      }
      assert.deepEqual(await userInCompany(storage.db, ids.Northwind as string, 'grace'), []);
      // A value that happens to read like SQL is only ever a value.
      assert.deepEqual(await userInCompany(storage.db, ids.Northwind as string, "ada' or '1'='1"), []);
    });

    test('inside a transaction it reads what the transaction wrote', async () => {
      await storage.db.transaction().execute(async (tx) => {
        await createUser(tx, ids.Contoso as string, { username: 'grace', email: 'grace@contoso.test', displayName: 'Grace', role: 'user' }, NOW);
        const rows = await userInCompany(tx, ids.Contoso as string, 'grace');
        assert.equal(rows.length, 1);
        assert.deepEqual(await userInCompany(tx, ids.Northwind as string, 'grace'), []);
      });
    });

    if (engine === 'postgres') {
      /** The statements this connection holds prepared, read in the transaction that ran the fixed query. */
      const preparedAfterRun = (db: Storage['db']) =>
        db.transaction().execute(async (tx) => {
          await userInCompany(tx, ids.Northwind as string, 'ada');
          const { rows } = await sql<{ statement: string }>`select statement from pg_prepared_statements where not from_sql`.execute(tx);
          return rows.map((row) => row.statement);
        });

      test('sent by name, it answers each call with its own arguments past the plan PostgreSQL settles on', async () => {
        assert.ok((await preparedAfterRun(storage.db)).some((statement) => /from "users"/.test(statement)), 'the fixed query is prepared on the connection');
        // PostgreSQL plans a prepared statement for its values five times, then may keep one generic plan.
        for (let run = 0; run < 12; run++) {
          const name = run % 2 === 0 ? 'Northwind' : 'Contoso';
          const rows = await userInCompany(storage.db, ids[name] as string, 'ada');
          assert.deepEqual(rows.map((row) => row.companyName), [name], `run ${run}`);
          assert.deepEqual(await userInCompany(storage.db, ids[name] as string, 'nobody'), [], `run ${run}`);
        }
      });

      test('a migration that changes what a prepared query returns, while the node runs, does not break it', async () => {
        // As `gatehouse migrate` does before the nodes restart (docs/OPERATIONS.md, Upgrading).
        const companyById = fixedQuery((db, id: string) => db.selectFrom('companies').selectAll().where('id', '=', id));
        const before = await Promise.all(Array.from({ length: 12 }, () => companyById(storage.db, ids.Northwind as string)));
        assert.ok(before.every((rows) => rows[0]?.name === 'Northwind'));
        await sql`alter table companies add column added_by_a_later_release text`.execute(storage.db);
        for (let run = 0; run < 12; run++) {
          const [row] = await companyById(storage.db, ids.Contoso as string);
          assert.equal(row?.name, 'Contoso', `run ${run}`);
          assert.ok(row && 'added_by_a_later_release' in row, 'the new column comes with it');
        }
      });

      test('with prepared statements turned off, nothing is left prepared on the connection', async () => {
        const plain = await openStorage({ kind: 'postgres', url: database.url, preparedStatements: false });
        try {
          assert.deepEqual(await preparedAfterRun(plain.db), []);
          assert.deepEqual((await userInCompany(plain.db, ids.Contoso as string, 'ada')).map((row) => row.companyName), ['Contoso']);
        } finally {
          await plain.close();
        }
      });
    }

    test('an argument spliced into the SQL text, or not used at all, is refused', async () => {
      const spliced = fixedQuery((db, name: string) => db.selectFrom('companies').select('id').where(sql<boolean>`name = ${sql.lit(name)}`));
      await assert.rejects(spliced(storage.db, 'Northwind'), /every argument must be a bound parameter/);
      const unused = fixedQuery((db, _name: string) => db.selectFrom('companies').select('id'));
      await assert.rejects(unused(storage.db, 'Northwind'), /every argument must be a bound parameter/);
    });
  });
}

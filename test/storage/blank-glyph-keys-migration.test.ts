// Migration 0031 on a database holding a name saved with a character that draws nothing
// (U+1D159) beside the same name without it, on both engines: keyed again from the saved
// names, the older row keeps its keys and the later look-alike is flagged (found only by
// its exact old spelling, never taken by a new name: migration 0020's rule), so the two
// no longer hold two keys for one drawn name.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import { caseKey, LEGACY_KEY_MARK, nameKey } from '../../src/shared/text.ts';
import { migrateToLatest, type Storage } from '../../src/storage/index.ts';
import { enginesUnderTest, type TestDatabase } from '../helpers/databases.ts';
import { migratedBefore } from '../helpers/migrated-before.ts';

for (const engine of await enginesUnderTest()) {
  describe(`migration 0031: names keyed without blank glyphs (${engine})`, () => {
    let database: TestDatabase;
    let storage: Storage;
    let raw: Kysely<any>;
    const company = (id: string, name: string, key: string, caseKeyOf: string, createdAt: number) => ({ id, name, name_key: key, case_key: caseKeyOf, status: 'active', is_platform: 0, created_at: createdAt });

    before(async () => {
      ({ database, storage, raw } = await migratedBefore(engine, '0031'));
      // The look-alike as the release before keyed it: the blank glyph kept in both keys.
      await raw.insertInto('companies').values([
        company('real', 'Acme Managed IT', nameKey('Acme Managed IT'), caseKey('Acme Managed IT'), 1),
        company('lookalike', 'Acme Managed IT\u{1D159}', `${nameKey('Acme Managed IT')}\u{1D159}`, `${caseKey('Acme Managed IT')}\u{1D159}`, 2),
        company('other', 'Umbrella Corp', nameKey('Umbrella Corp'), caseKey('Umbrella Corp'), 3),
      ]).execute();
      await migrateToLatest(raw);
    });
    after(async () => {
      await storage.close();
      await database.drop();
    });

    test('the older row keeps the drawn name’s keys; the later look-alike is flagged; others are untouched', async () => {
      const rows = Object.fromEntries((await raw.selectFrom('companies').select(['id', 'name_key', 'case_key']).execute()).map((row) => [row.id, row]));
      assert.deepEqual({ ...rows.real }, { id: 'real', name_key: nameKey('Acme Managed IT'), case_key: caseKey('Acme Managed IT') });
      assert.deepEqual({ ...rows.other }, { id: 'other', name_key: nameKey('Umbrella Corp'), case_key: caseKey('Umbrella Corp') });
      assert.ok(rows.lookalike.name_key.startsWith(LEGACY_KEY_MARK), rows.lookalike.name_key);
      assert.ok(rows.lookalike.case_key.startsWith(LEGACY_KEY_MARK), rows.lookalike.case_key);
    });
  });
}

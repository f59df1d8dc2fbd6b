// A database as an earlier release left it: migrated up to (not including) a migration, so
// a migration test can store rows the way that release stored them and then migrate on.
import { Migrator, type Kysely } from 'kysely';
import { migrations, openStorage, type Storage } from '../../src/storage/index.ts';
import { createTestDatabase, type Engine, storageSettingsOf, type TestDatabase } from './databases.ts';

export interface MigratedBefore {
  database: TestDatabase;
  storage: Storage;
  /** The schema as it then was: untyped, as the current types no longer describe it. */
  raw: Kysely<any>;
}

/** A fresh database on `engine` with every migration named before `migration` ("0016") applied. */
export async function migratedBefore(engine: Engine, migration: string): Promise<MigratedBefore> {
  const database = await createTestDatabase(engine);
  const storage = await openStorage(storageSettingsOf(database), { migrate: false });
  const raw = storage.db as unknown as Kysely<any>;
  const earlier = Object.fromEntries(Object.entries(migrations).filter(([name]) => name < migration));
  const { error } = await new Migrator({ db: raw, provider: { getMigrations: async () => earlier } }).migrateToLatest();
  if (error) throw error;
  return { database, storage, raw };
}

// `gatehouse backup`: a consistent copy of the embedded SQLite database, taken with
// VACUUM INTO while the server keeps running. PostgreSQL has its own tools (pg_dump).
import { closeSync, existsSync, openSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { loadConfig } from '../config.ts';
import { openStorage } from '../storage/index.ts';
import { CliError, parseCommand, required, type Command } from './command.ts';

const backup: Command = {
  name: 'backup',
  summary: 'Copy the embedded SQLite database to a file, while it runs',
  help: `Usage: gatehouse backup --out FILE

Writes a consistent copy of the embedded SQLite database to FILE (SQLite's VACUUM INTO),
also while the server is running. FILE must not exist yet; it is created readable by
its owner only, as it holds password hashes and encrypted 2FA secrets.

The copy does not hold the secret key that encrypts the 2FA secrets
(GATEHOUSE_SECRET_KEY, or secret.key in the data folder). Keep the key too, stored
apart from the backups: a restore needs both.

For PostgreSQL use pg_dump; docs/OPERATIONS.md explains backups and restores.

Options:
  --out FILE    where to write the copy, e.g. backups/gatehouse-2025-03-04.db`,
  async run(argv) {
    const { values } = parseCommand(argv, { out: { type: 'string' } });
    const out = path.resolve(required(values.out, 'out'));
    const config = loadConfig();
    if (config.database.kind !== 'sqlite') {
      throw new CliError(
        'this configuration uses PostgreSQL, and this command copies only the embedded SQLite database.\n' +
          'Back PostgreSQL up with pg_dump: see "Backups and restore" in docs/OPERATIONS.md.',
      );
    }
    const source = path.resolve(config.database.file);
    if (!existsSync(source)) {
      throw new CliError(`There is no database at ${source} (check GATEHOUSE_DATA_DIR and GATEHOUSE_DATABASE_URL).`);
    }
    if (!existsSync(path.dirname(out))) throw new CliError(`The folder ${path.dirname(out)} does not exist.`);
    // VACUUM INTO accepts an empty file: creating it first, exclusively, sets its mode
    // and never overwrites an earlier backup.
    try {
      closeSync(openSync(out, 'wx', 0o600));
    } catch (error) {
      if ((error as { code?: unknown }).code === 'EEXIST') throw new CliError(`${out} already exists; a backup never overwrites a file.`);
      throw error;
    }
    const storage = await openStorage(config.database, { migrate: false });
    try {
      await sql`VACUUM INTO ${out}`.execute(storage.db);
    } catch (error) {
      rmSync(out, { force: true });
      throw error;
    } finally {
      await storage.close();
    }
    const kib = Math.ceil(statSync(out).size / 1024);
    const key = config.secretKey ? 'GATEHOUSE_SECRET_KEY' : path.join(config.dataDir, 'secret.key');
    console.log(`Backed up ${source} to ${out} (${kib} KiB).`);
    console.log(`A restore also needs the secret key (${key}): keep it safe, apart from the backups.`);
    return 0;
  },
};

export const backupCommands = [backup];

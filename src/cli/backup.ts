// `gatehouse backup`: a consistent copy of the embedded SQLite database, taken with
// VACUUM INTO while the server keeps running. PostgreSQL has its own tools (pg_dump).
import { closeSync, existsSync, fchmodSync, fstatSync, fsyncSync, lstatSync, mkdtempSync, openSync, readSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { loadConfig } from '../config.ts';
import { openStorage, type DatabaseSettings } from '../storage/index.ts';
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
    const target = createBackupFile(out);
    let size: number;
    try {
      size = await copyInto(target, config.database, source);
      if (!stillAt(out, target)) {
        throw new CliError(`${out} was replaced or removed while the backup was written (someone else can write into ${path.dirname(out)}); no backup was made.`);
      }
    } catch (error) {
      if (stillAt(out, target)) unlinkSync(out);
      throw error;
    } finally {
      closeSync(target);
    }
    const kib = Math.ceil(size / 1024);
    const key = config.secretKey ? 'GATEHOUSE_SECRET_KEY' : path.join(config.dataDir, 'secret.key');
    console.log(`Backed up ${source} to ${out} (${kib} KiB).`);
    console.log(`A restore also needs the secret key (${key}): keep it safe, apart from the backups.`);
    return 0;
  },
};

/**
 * The backup file, created here, exclusively (an existing file or symlink is refused, never
 * followed), owner-only, and kept open: the copy is written through this descriptor, so it
 * lands in the file made here even if someone able to write into the folder swaps the name
 * for a symlink meanwhile (SQLite, given a path, would follow it).
 */
function createBackupFile(out: string): number {
  let fd: number;
  try {
    fd = openSync(out, 'wx', 0o600);
  } catch (error) {
    if ((error as { code?: unknown }).code === 'EEXIST') throw new CliError(`${out} already exists; a backup never overwrites a file.`);
    throw error;
  }
  // The umask could only take bits away; set exactly 0600 whatever it is.
  fchmodSync(fd, 0o600);
  return fd;
}

/** Whether `out` still names the file behind `fd`. */
function stillAt(out: string, fd: number): boolean {
  const named = lstatSync(out, { throwIfNoEntry: false });
  const held = fstatSync(fd);
  return named !== undefined && named.dev === held.dev && named.ino === held.ino;
}

/**
 * VACUUM INTO takes a path, so it writes into a private folder (0700, mkdtemp) beside the
 * database: no one who could not already replace the database can reach it. Its result is
 * then copied into `target` and flushed. Returns the bytes copied.
 */
async function copyInto(target: number, database: DatabaseSettings, source: string): Promise<number> {
  const scratch = mkdtempSync(path.join(path.dirname(source), '.gatehouse-backup-'));
  try {
    const copy = path.join(scratch, 'copy.db');
    // VACUUM INTO accepts an empty file: made first, the copy is owner-only from its start.
    closeSync(openSync(copy, 'wx', 0o600));
    const storage = await openStorage(database, { migrate: false });
    try {
      await sql`VACUUM INTO ${copy}`.execute(storage.db);
    } finally {
      await storage.close();
    }
    const size = copyFileInto(copy, target);
    fsyncSync(target);
    return size;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function copyFileInto(file: string, target: number): number {
  const from = openSync(file, 'r');
  try {
    const chunk = Buffer.alloc(1 << 20);
    let total = 0;
    for (let read; (read = readSync(from, chunk, 0, chunk.length, null)) > 0; total += read) {
      for (let written = 0; written < read; ) written += writeSync(target, chunk, written, read - written);
    }
    return total;
  } finally {
    closeSync(from);
  }
}

export const backupCommands = [backup];

// `gatehouse backup` and a backup folder someone else can write into: the copy of the
// database (password hashes, sealed 2FA secrets) lands only in the owner-only file the
// command created, never where a symlink placed at that name points, before or during
// the backup.
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, test } from 'node:test';
import { cleanEnv, runCli } from '../../test/helpers/cli.ts';
import { until } from '../../test/helpers/until.ts';
import { loadConfig } from '../config.ts';
import { openStorage } from '../storage/index.ts';

describe('gatehouse backup into a shared folder', () => {
  let work: string;
  let dataDir: string;
  let shared: string;
  let env: NodeJS.ProcessEnv;
  const backup = (out: string) => runCli(['backup', '--out', out], env);
  /** A file of the folder's other user, readable by all: the copy must never land in it. */
  const victim = () => {
    const file = path.join(shared, `theirs-${Math.random().toString(36).slice(2)}.db`);
    writeFileSync(file, '', { mode: 0o644 });
    return file;
  };

  before(async () => {
    work = mkdtempSync(path.join(os.tmpdir(), 'gatehouse-backup-'));
    dataDir = path.join(work, 'data');
    shared = path.join(work, 'shared');
    mkdirSync(shared, { mode: 0o777 });
    env = { ...cleanEnv(), GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_LOG_LEVEL: 'warn' };
    const storage = await openStorage(loadConfig({ GATEHOUSE_DATA_DIR: dataDir }).database);
    await storage.close();
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  test('a symlink already at the name is refused, and what it points at is left alone', async () => {
    const theirs = victim();
    for (const [name, pointsAt] of [['existing', theirs], ['dangling', path.join(shared, 'not-yet.db')]] as const) {
      const out = path.join(shared, `${name}.db`);
      symlinkSync(pointsAt, out);
      const run = await backup(out);
      assert.equal(run.code, 1, run.stdout);
      assert.ok(run.stderr.includes(`${out} already exists; a backup never overwrites a file.`), run.stderr);
      assert.ok(lstatSync(out).isSymbolicLink());
    }
    assert.equal(statSync(theirs).size, 0);
    assert.ok(!existsSync(path.join(shared, 'not-yet.db')));
  });

  test('a file swapped for a symlink while the backup runs gets no copy through it', async () => {
    const theirs = victim();
    const out = path.join(shared, 'swapped.db');
    // Another process holds the database exclusively, so the backup, once it has made its
    // file, waits (busy timeout) before it copies: the swap happens in that wait, the
    // widest the window ever was.
    const holder = new DatabaseSync(path.join(dataDir, 'gatehouse.db'));
    holder.exec('PRAGMA locking_mode = EXCLUSIVE');
    holder.exec('BEGIN EXCLUSIVE');
    holder.exec('CREATE TABLE held_for_the_test (x)');
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      holder.exec('ROLLBACK');
      holder.close();
    };
    after(release);
    const running = backup(out);
    await until(() => existsSync(out), 'the backup to create its file');
    renameSync(out, path.join(shared, 'moved-aside.db'));
    symlinkSync(theirs, out);
    release();
    const run = await running;

    assert.equal(statSync(theirs).size, 0, 'nothing of the database went through the symlink');
    assert.equal(run.code, 1, run.stdout);
    assert.ok(run.stderr.includes(`${out} was replaced or removed while the backup was written`), run.stderr);
    assert.ok(lstatSync(out).isSymbolicLink(), 'the other user\'s symlink is not removed for them');
    // The file the backup made stays owner-only wherever it was moved.
    assert.equal(statSync(path.join(shared, 'moved-aside.db')).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(dataDir).filter((name) => name.startsWith('.gatehouse-backup-')), [], 'the private scratch folder is removed');
  });

  test('an undisturbed backup is owner-only, whole, and leaves no scratch folder', async () => {
    const out = path.join(shared, 'plain.db');
    const run = await backup(out);
    assert.equal(run.code, 0, run.stderr);
    const stat = statSync(out);
    assert.equal(stat.mode & 0o777, 0o600);
    assert.equal(stat.uid, process.getuid?.());
    assert.equal(readFileSync(out).subarray(0, 16).toString('latin1'), 'SQLite format 3\0');
    const copy = new DatabaseSync(out, { readOnly: true });
    try {
      assert.equal(copy.prepare('pragma integrity_check').get()?.integrity_check, 'ok');
      assert.ok(copy.prepare("select count(*) as n from sqlite_master where name = 'companies'").get()?.n === 1);
    } finally {
      copy.close();
    }
    assert.deepEqual(readdirSync(dataDir).filter((name) => name.startsWith('.gatehouse-backup-')), []);
  });
});

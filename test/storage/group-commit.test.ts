// SQLite group commit (src/storage/group-commit.ts): writes made together share one commit,
// and nobody is answered from a write that is not yet committed. Every check reads through
// a second, independent connection to the same file: what it sees is what a power cut
// would leave of a flushed commit (WAL readers see committed transactions only). A batch
// of only writes declared harmless to lose (a client credentials token) commits without
// the flush; anything else in its batch, a transaction included, flushes it as before.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, beforeEach, describe, test } from 'node:test';
import { sql, type Kysely } from 'kysely';
import { registerUnflushedWrite } from '../../src/storage/group-commit.ts';
import { openStorage, type Storage } from '../../src/storage/index.ts';

describe('SQLite group commit', () => {
  let dir: string;
  let storage: Storage;
  let db: Kysely<{ probe: { x: string }; token: { x: string } }>;
  let witness: DatabaseSync;
  let commits: number[];
  let flushed: boolean[];

  const committed = (x: string) => witness.prepare('select 1 from probe where x = ?').get(x) !== undefined;
  const insert = (x: string) => db.insertInto('probe').values({ x }).execute();

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-group-commit-'));
    const file = path.join(dir, 'db.sqlite');
    storage = await openStorage({ kind: 'sqlite', file }, { onCommit: (statements, _seconds, wasFlushed) => (commits.push(statements), flushed.push(wasFlushed)) });
    db = storage.db as unknown as Kysely<{ probe: { x: string }; token: { x: string } }>;
    await sql`create table probe (x text primary key)`.execute(db);
    // Stands for the client credentials token: a write a power cut may lose.
    await sql`create table token (x text primary key)`.execute(db);
    registerUnflushedWrite(db.insertInto('token').values({ x: '' }).compile().sql);
    // A trigger that makes SQLite roll back the whole open transaction, as an I/O error or
    // a full disk can: the way to lose a batch on purpose.
    await sql`create trigger probe_boom before insert on probe when new.x like 'boom%' begin select raise(rollback, 'boom'); end`.execute(db);
    witness = new DatabaseSync(file, { readOnly: true });
  });

  beforeEach(() => {
    commits = [];
    flushed = [];
  });

  after(async () => {
    witness.close();
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('writes made together share one commit, and each is answered only once it is committed', async () => {
    const keys = Array.from({ length: 20 }, (_, i) => `together-${i}`);
    const seenAtAnswer = await Promise.all(keys.map((x) => insert(x).then(() => committed(x))));
    assert.deepEqual(seenAtAnswer, keys.map(() => true));
    assert.deepEqual(commits, [20]);
  });

  test('a read sees a pending write at once; an answer built from it is released only once that write is committed', async () => {
    const mark = storage.durability.mark();
    const write = insert('read-after');
    const row = await db.selectFrom('probe').select('x').where('x', '=', 'read-after').executeTakeFirst();
    assert.deepEqual({ ...row }, { x: 'read-after' });
    assert.equal(committed('read-after'), false, 'the read did not wait for the commit');
    const pending = storage.durability.settled(mark);
    assert.ok(pending, 'an answer built from that read has to wait');
    await pending;
    assert.equal(committed('read-after'), true);
    await write;
    assert.equal(storage.durability.settled(storage.durability.mark()), undefined, 'nothing pending once committed');
  });

  test('an answer that could have read from a lost batch is refused, later answers are not', async () => {
    const mark = storage.durability.mark();
    const outcomes = await Promise.allSettled([insert('seen-then-lost'), insert('boom-seen')]);
    assert.deepEqual(outcomes.map((o) => o.status), ['rejected', 'rejected']);
    await assert.rejects(storage.durability.settled(mark) ?? Promise.resolve(), /boom/);
    assert.equal(storage.durability.settled(storage.durability.mark()), undefined);
  });

  test('a transaction rolled back inside a batch undoes its own writes only', async () => {
    const failing = db.transaction().execute(async (tx) => {
      await tx.insertInto('probe').values({ x: 'tx-undone' }).execute();
      throw new Error('changed my mind');
    });
    const [before, , afterwards] = await Promise.allSettled([insert('beside-1'), failing, insert('beside-2')]);
    assert.equal(before.status, 'fulfilled');
    assert.equal(afterwards.status, 'fulfilled');
    assert.deepEqual([committed('beside-1'), committed('tx-undone'), committed('beside-2')], [true, false, true]);
  });

  test('a transaction that commits is answered after the batch holding it is committed', async () => {
    const results = await Promise.all([
      insert('plain'),
      db.transaction().execute(async (tx) => {
        await tx.insertInto('probe').values({ x: 'tx-a' }).execute();
        await tx.insertInto('probe').values({ x: 'tx-b' }).execute();
        return committed('tx-a') || committed('tx-b'); // not yet: inside the batch
      }).then((seenInside) => ({ seenInside, seenAtAnswer: committed('tx-a') && committed('tx-b') })),
    ]);
    assert.deepEqual(results[1], { seenInside: false, seenAtAnswer: true });
  });

  test('transactions made together share one commit, and each is answered only once it is committed', async () => {
    const keys = Array.from({ length: 5 }, (_, i) => `tx-together-${i}`);
    const seenAtAnswer = await Promise.all(
      keys.map((x) =>
        db
          .transaction()
          .execute(async (tx) => {
            await tx.insertInto('probe').values({ x }).execute();
            await tx.insertInto('probe').values({ x: `${x}-second` }).execute();
          })
          .then(() => committed(x) && committed(`${x}-second`)),
      ),
    );
    assert.deepEqual(seenAtAnswer, keys.map(() => true));
    // One batch, one flush: a transaction waiting for its commit does not hold the others out.
    assert.deepEqual(commits, [10]);
  });

  test('a transaction told its batch was lost leaves the transaction open after it alone', async () => {
    const first = db.transaction().execute(async (tx) => {
      await tx.insertInto('probe').values({ x: 'handed-over' }).execute();
    });
    // Opens in the same batch once the first has handed its statements over; loses the batch.
    const second = db.transaction().execute(async (tx) => {
      await tx.insertInto('probe').values({ x: 'second-before-boom' }).execute();
      await tx.insertInto('probe').values({ x: 'boom-under-second' }).execute().catch(() => {});
      // The first transaction hears of the loss meanwhile; its rollback must not end this one.
      await new Promise((resolve) => setImmediate(resolve));
      await tx.insertInto('probe').values({ x: 'second-after-boom' }).execute();
    });
    const outcomes = await Promise.allSettled([first, second]);
    assert.deepEqual(outcomes.map((o) => o.status), ['rejected', 'rejected']);
    assert.deepEqual(['handed-over', 'second-before-boom', 'second-after-boom'].map(committed), [false, false, false]);
    // And the connection is whole: the next write commits.
    await insert('after-the-loss');
    assert.equal(committed('after-the-loss'), true);
  });

  test('a commit that came due during a transaction is not put off by the transactions after it', async () => {
    const turns = (n: number) => Array.from({ length: n }).reduce<Promise<unknown>>((p) => p.then(() => new Promise((resolve) => setImmediate(resolve))), Promise.resolve());
    let plainAnswered = false;
    const plain = insert('due-plain').then(() => (plainAnswered = true));
    // Open across turns of the event loop (as a transaction waiting on other work is): the
    // batch's commit comes due while it is open.
    const slow = (x: string) =>
      db.transaction().execute(async (tx) => {
        await tx.insertInto('probe').values({ x }).execute();
        await turns(3);
        return plainAnswered;
      });
    const [, , plainSeenAtEndOfSecond] = await Promise.all([plain, slow('due-first'), slow('due-second')]);
    assert.equal(plainSeenAtEndOfSecond, true, 'the plain write waited for a transaction that began after its commit came due');
    assert.deepEqual(['due-plain', 'due-first', 'due-second'].map(committed), [true, true, true]);
  });

  test('a statement that fails alone is refused at once and its batch still commits', async () => {
    await insert('duplicate');
    commits = [];
    const outcomes = await Promise.allSettled([insert('dup-neighbour-1'), insert('duplicate'), insert('dup-neighbour-2')]);
    assert.deepEqual(outcomes.map((o) => o.status), ['fulfilled', 'rejected', 'fulfilled']);
    assert.deepEqual([committed('dup-neighbour-1'), committed('dup-neighbour-2')], [true, true]);
    assert.equal(commits.length, 1);
  });

  test('when SQLite rolls the batch back, every write in it is refused, and none is kept', async () => {
    const keys = ['lost-1', 'lost-2', 'boom-1', 'next-batch'];
    const outcomes = await Promise.allSettled(keys.map(insert));
    // The two before the failure shared its batch; the one after it starts a batch of its own.
    assert.deepEqual(outcomes.map((o) => o.status), ['rejected', 'rejected', 'rejected', 'fulfilled']);
    assert.deepEqual(keys.map(committed), [false, false, false, true]);
  });

  test('a transaction whose batch was lost cannot go on writing outside it', async () => {
    const outcome = await db
      .transaction()
      .execute(async (tx) => {
        await tx.insertInto('probe').values({ x: 'tx-before-boom' }).execute();
        await tx.insertInto('probe').values({ x: 'boom-2' }).execute().catch(() => {});
        await tx.insertInto('probe').values({ x: 'tx-after-boom' }).execute();
      })
      .then(() => 'committed', () => 'refused');
    assert.equal(outcome, 'refused');
    assert.deepEqual([committed('tx-before-boom'), committed('tx-after-boom')], [false, false]);
  });

  test('every answered write survives, whatever else failed beside it (many rounds)', async () => {
    const answered: string[] = [];
    const refused: string[] = [];
    for (let round = 0; round < 30; round += 1) {
      const keys = Array.from({ length: 6 }, (_, i) => (i === round % 7 ? `boom-r${round}` : `r${round}-${i}`));
      const tx = db.transaction().execute(async (t) => {
        await t.insertInto('probe').values({ x: `r${round}-tx` }).execute();
      });
      const outcomes = await Promise.allSettled([...keys.map(insert), tx]);
      [...keys, `r${round}-tx`].forEach((x, i) => (outcomes[i]!.status === 'fulfilled' ? answered : refused).push(x));
    }
    assert.ok(answered.length > 0 && refused.length > 0, 'both outcomes occurred');
    assert.deepEqual(answered.filter((x) => !committed(x)), []);
    assert.deepEqual(refused.filter((x) => committed(x)), []);
  });

  const token = (x: string) => db.insertInto('token').values({ x }).execute();
  const level = async () => (await sql<{ synchronous: number }>`pragma synchronous`.execute(db)).rows[0]?.synchronous;

  test('a batch of only writes a power cut may lose commits without the flush, then the connection flushes again', async () => {
    const keys = ['cc-1', 'cc-2', 'cc-3'];
    await Promise.all(keys.map(token));
    assert.deepEqual({ commits, flushed }, { commits: [3], flushed: [false] });
    // Committed all the same: another connection (a second worker, the CLI) sees them.
    assert.deepEqual(keys.filter((x) => !witness.prepare('select 1 from token where x = ?').get(x)), []);
    assert.equal(await level(), 2, 'back at synchronous = full for everything after');
    await insert('after-unflushed');
    assert.deepEqual(flushed, [false, true], 'the next ordinary write is flushed, and carries the earlier ones with it');
  });

  test('an ordinary write or a transaction never waits in a batch without the flush: that batch commits, a flushed one takes it', async () => {
    const seen = async (write: Promise<unknown>, x: string, table: 'probe' | 'token') => {
      await write;
      return witness.prepare(`select 1 from ${table} where x = ?`).get(x) !== undefined;
    };
    // The harmless write first: its batch commits as the ordinary one comes, unflushed.
    assert.deepEqual(await Promise.all([seen(token('first-token'), 'first-token', 'token'), seen(insert('then-plain'), 'then-plain', 'probe')]), [true, true]);
    assert.deepEqual({ commits, flushed }, { commits: [1, 1], flushed: [false, true] });
    // A transaction likewise.
    await Promise.all([
      token('before-tx'),
      db.transaction().execute(async (tx) => {
        await tx.insertInto('token').values({ x: 'in-tx' }).execute();
      }),
    ]);
    assert.deepEqual({ commits, flushed }, { commits: [1, 1, 1, 1], flushed: [false, true, false, true] });
    // The ordinary write first: the harmless one joins its batch and is flushed with it.
    await Promise.all([insert('plain-first'), token('token-joins')]);
    assert.deepEqual({ commits: commits.slice(4), flushed: flushed.slice(4) }, { commits: [2], flushed: [true] });
    assert.equal(await level(), 2);
  });

  // Another process (a second worker, the CLI) can hold the write lock past the busy
  // timeout: the batch that could not begin must not leave the connection without the flush.
  test('a batch without the flush that cannot begin (the lock busy) leaves the connection flushing every commit', async () => {
    const holder = new DatabaseSync(path.join(dir, 'db.sqlite'));
    await sql`pragma busy_timeout = 20`.execute(db);
    try {
      holder.exec('BEGIN IMMEDIATE');
      await assert.rejects(token('while-busy'), /locked|busy/i);
      holder.exec('ROLLBACK');
      assert.equal(await level(), 2, 'synchronous = full again');
      await insert('after-busy');
      assert.equal(flushed.at(-1), true, 'the next ordinary write is flushed');
    } finally {
      if (holder.isTransaction) holder.exec('ROLLBACK');
      holder.close();
      await sql`pragma busy_timeout = 5000`.execute(db);
    }
  });

  test('raw statements that refuse transactions (VACUUM INTO) run after the pending batch', async () => {
    const copy = path.join(dir, 'copy.sqlite');
    await Promise.all([insert('before-vacuum'), sql`vacuum into ${copy}`.execute(db)]);
    const copied = new DatabaseSync(copy, { readOnly: true });
    try {
      assert.ok(copied.prepare('select 1 from probe where x = ?').get('before-vacuum'));
    } finally {
      copied.close();
    }
  });
});

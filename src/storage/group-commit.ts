// Group commit for SQLite: the writes of concurrent requests share one transaction and one
// flush to disk, and each request is answered only after the commit that holds its write.
//
// Why: with `synchronous = full` every commit waits for the disk (fsync), and node:sqlite is
// synchronous, so one flush per write held up every other request on the worker: on the
// token endpoints it was half of the server's time. Gathering the writes made during one
// turn of the event loop into one commit keeps the same promise (nothing answered is lost
// to a power cut) at a fraction of the flushes.
//
// How:
// - The first write opens a batch (BEGIN IMMEDIATE) and schedules its commit for the end of
//   this turn of the event loop (setImmediate). Writes made until then join it.
// - A write resolves only after the COMMIT of its batch, and that commit holds everything
//   run before it. A statement that fails is rejected at once; it changed nothing.
// - A read resolves at once: it may see the open batch's writes (one connection). An
//   answer that only read must still not leave before what it saw is on disk: the HTTP
//   layer waits for `settled(mark)` before sending (src/http/durable-answers.ts). Waiting
//   there, not in each read, lets a request's reads and its write share one batch.
// - A Kysely transaction runs as a SAVEPOINT inside the batch: its rollback undoes only its
//   own statements; its commit resolves after the batch's COMMIT. While it is open, the
//   single connection is its alone (the mutex), and the batch's commit waits for its end.
//   Once its savepoint is released it gives the connection back, like a single write, so
//   the next request's statements (transactions included) join the same batch.
// - If SQLite rolls the whole batch back (an I/O error, a full disk), or the COMMIT fails,
//   every write of the batch is rejected, and so is every answer waiting on it: their
//   callers answer an error, and what they wrote is gone, as they were told.
// - Raw statements (PRAGMA, VACUUM INTO, ...) never join a batch: they run on their own,
//   after the open batch has committed.
// - A batch of only writes whose loss to a power cut is harmless (registerUnflushedWrite:
//   a client credentials token, which its module asks for again) commits without waiting
//   for the disk: it begins at `synchronous = normal`, and the connection is back at
//   `full` once it has committed. SQLite fixes the level for a transaction at its BEGIN,
//   so any other write, or a transaction, never joins such a batch: that batch commits
//   there and then (it costs no flush) and a flushed batch takes the write; a harmless
//   write joins a flushed batch as it is. Since the WAL is written in order, the next
//   flushed commit (or checkpoint) carries the unflushed ones to disk with it. Committed
//   either way: other connections see it, and a crash of the process loses nothing; only a
//   power cut or kernel crash can take the unflushed batches since the last flush.
//   docs/PERFORMANCE.md, Durability.
// Before `enable()` (migrations) the driver behaves like Kysely's: autocommit statements and
// BEGIN IMMEDIATE transactions.
import type { DatabaseSync } from 'node:sqlite';
import {
  CompiledQuery,
  DeleteQueryNode,
  InsertQueryNode,
  SelectQueryNode,
  UpdateQueryNode,
  type DatabaseConnection,
  type Driver,
  type QueryResult,
} from 'kysely';
import type { PreparedStatements } from './sqlite.ts';

/** What the commit reports, for metrics: statements in the batch, seconds the COMMIT took, whether it waited for the disk. */
export type CommitObserver = (statements: number, seconds: number, flushed: boolean) => void;

/** The SQL texts of writes a power cut may lose (registerUnflushedWrite). */
const unflushedWrites = new Set<string>();

/**
 * Declares the write `sql` one whose loss to a power cut is harmless and never unsafe: a
 * batch holding only such writes is not flushed to disk before its answers (see the
 * header). Only for records that, if lost, fail closed and are simply asked for again;
 * never for anything single-use, counted or audited.
 */
export function registerUnflushedWrite(sql: string): void {
  unflushedWrites.add(sql);
}

interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
}

class Batch {
  readonly waiters: Waiter[] = [];
  statements = 0;
  readonly seq: number;
  /** Begun at `synchronous = normal`: only writes a power cut may lose (registerUnflushedWrite) join it. */
  readonly unflushed: boolean;
  constructor(seq: number, unflushed: boolean) {
    this.seq = seq;
    this.unflushed = unflushed;
  }
  /** Resolves after this batch's COMMIT; rejects if the batch was lost. */
  joined(): Promise<void> {
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }
}

/** A FIFO lock: SQLite has one connection, so statements take turns. */
class Mutex {
  #held = false;
  readonly #queue: Array<() => void> = [];
  async lock(): Promise<void> {
    if (!this.#held) {
      this.#held = true;
      return;
    }
    await new Promise<void>((resolve) => this.#queue.push(resolve));
  }
  unlock(): void {
    const next = this.#queue.shift();
    if (next) next();
    else this.#held = false;
  }
}

const SAVEPOINT = 'gatehouse_tx';

function isBuiltWrite(query: CompiledQuery): boolean {
  return InsertQueryNode.is(query.query) || UpdateQueryNode.is(query.query) || DeleteQueryNode.is(query.query);
}

export class GroupCommitSqliteDriver implements Driver {
  readonly #db: DatabaseSync;
  readonly #prepare: PreparedStatements;
  readonly #mutex = new Mutex();
  readonly #observe: CommitObserver | undefined;
  #enabled = false;
  /** The connection flushes every commit (`synchronous = full`), so an unflushed batch must say otherwise. */
  #flushesEachCommit = false;
  #batch: Batch | undefined;
  /** A Kysely transaction is open (as a savepoint, or as its own BEGIN before enable()). */
  #inTransaction = false;
  /** The batch's commit came due while a transaction was open: commit when it ends. */
  #commitDue = false;
  /** SQLite rolled back the batch under an open transaction: its next statements must fail, not autocommit. */
  #transactionLost: unknown;
  /** Batches are numbered; the last one lost and why, for answers that read from it. */
  #nextSeq = 1;
  #lost: { seq: number; error: unknown } | undefined;

  constructor(db: DatabaseSync, prepare: PreparedStatements, observe?: CommitObserver) {
    this.#db = db;
    this.#prepare = prepare;
    this.#observe = observe;
  }

  /** From now on writes are grouped (after migrations, which need plain transactions). */
  enable(): void {
    this.#enabled = true;
    const { synchronous } = this.#db.prepare('PRAGMA synchronous').get() as { synchronous: number };
    this.#flushesEachCommit = synchronous === 2; // FULL, as openSqliteDatabase sets it by default
  }

  async init(): Promise<void> {}

  /** The first batch whose writes a request starting now could read. */
  mark(): number {
    return this.#batch?.seq ?? this.#nextSeq;
  }

  /**
   * Undefined when everything a request that took `mark` could have read is committed;
   * else a promise that resolves once it is, or rejects if a batch it could read was lost.
   */
  settled(mark: number): Promise<void> | undefined {
    const lost = this.#lost;
    if (lost && lost.seq >= mark) return Promise.reject(lost.error);
    const batch = this.#batch;
    return batch && batch.seq >= mark ? batch.joined() : undefined;
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    await this.#mutex.lock();
    return new Turn(this);
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    (connection as Turn).release();
  }

  async beginTransaction(): Promise<void> {
    this.#transactionLost = undefined;
    if (this.#enabled) {
      // What a transaction writes is flushed (single use, counts, audit events).
      this.#openBatch(true);
      this.#db.exec(`SAVEPOINT ${SAVEPOINT}`);
    } else {
      this.#db.exec('BEGIN IMMEDIATE');
    }
    this.#inTransaction = true;
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    if (!this.#enabled) {
      this.#inTransaction = false;
      this.#db.exec('COMMIT');
      return;
    }
    const batch = this.#batch;
    this.#inTransaction = false;
    if (this.#transactionLost !== undefined || !batch || !this.#db.isTransaction) {
      throw new Error('The database rolled back this transaction with the writes grouped with it.', { cause: this.#transactionLost });
    }
    this.#db.exec(`RELEASE ${SAVEPOINT}`);
    const committed = batch.joined();
    this.#afterTransaction();
    // Its statements are the batch's now. The connection is given back before the batch
    // commits, as a single write gives it back (execute): held until then, it kept every
    // other request's statements out of the batch, so each transaction had a flush to
    // itself (a refresh's spend and new tokens: one commit per refresh under load).
    (connection as Turn).release();
    await committed;
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    // Kysely rolls back when the commit fails. A transaction whose statements were handed
    // to the batch (commitTransaction) gave the connection back, and may now be told the
    // batch was lost: what it wrote is gone with the batch, and the savepoint open now,
    // if any, is another request's, which it must not touch.
    if ((connection as Turn).released) return;
    this.#inTransaction = false;
    if (!this.#enabled) {
      if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
      return;
    }
    // Undo this transaction's statements only; the batch's other writes stay and commit.
    if (this.#db.isTransaction) this.#db.exec(`ROLLBACK TO ${SAVEPOINT}; RELEASE ${SAVEPOINT}`);
    this.#afterTransaction();
  }

  async destroy(): Promise<void> {
    if (this.#batch && !this.#inTransaction) this.#commit();
    this.#db.close();
  }

  /** Runs one statement for a turn; see the header for when it resolves. */
  async execute(turn: Turn, query: CompiledQuery): Promise<QueryResult<unknown>> {
    if (this.#transactionLost !== undefined && this.#inTransaction) throw this.#transactionLost;
    if (!this.#enabled || this.#inTransaction) return this.#run(query);
    // A read answers at once; the answer built from it waits at the HTTP layer (settled).
    if (SelectQueryNode.is(query.query)) return this.#run(query);
    if (!isBuiltWrite(query)) {
      // Raw: run alone, after the open batch (VACUUM and some PRAGMAs refuse transactions).
      // (If that batch is lost, its writers are told; this statement runs anyway.)
      if (this.#batch) await this.#batch.joined().catch(() => {});
      return this.#run(query);
    }
    this.#openBatch(!unflushedWrites.has(query.sql));
    const batch = this.#batch as Batch;
    const result = this.#run(query);
    // The statement is done: let the next request's statements run and join this batch.
    turn.release();
    await batch.joined();
    return result;
  }

  /** Streams (large exports) wait for the open batch, then read committed data. */
  async *stream(query: CompiledQuery): AsyncIterableIterator<QueryResult<unknown>> {
    if (this.#enabled && !this.#inTransaction && this.#batch) await this.#batch.joined().catch(() => {});
    if (!SelectQueryNode.is(query.query)) throw new Error('SQLite streams only select queries.');
    for (const row of this.#prepare(query.sql).iterate(query.parameters)) yield { rows: [row] };
  }

  #run(query: CompiledQuery): QueryResult<unknown> {
    const statement = this.#prepare(query.sql);
    if (this.#batch) this.#batch.statements += 1;
    try {
      if (statement.reader) return { rows: statement.all(query.parameters) };
      const { changes, lastInsertRowid } = statement.run(query.parameters);
      return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
    } catch (error) {
      // Most failures undo one statement; some (I/O, a full disk) undo the whole batch.
      if (this.#batch && !this.#db.isTransaction) {
        if (this.#inTransaction) this.#transactionLost = error;
        this.#lose(error);
      }
      throw error;
    }
  }

  /** Opens a batch for a write, unless one is open that it may join; `mustFlush`: the write must be on disk before its answer. */
  #openBatch(mustFlush: boolean): void {
    if (this.#batch) {
      if (!mustFlush || !this.#batch.unflushed) return;
      // The open batch was begun without the flush, which SQLite cannot add to it now: it
      // commits here (no flush to wait for), and a flushed batch takes this write.
      this.#commit();
    }
    const unflushed = this.#flushesEachCommit && !mustFlush;
    if (unflushed) this.#db.exec('PRAGMA synchronous = NORMAL');
    try {
      this.#db.exec('BEGIN IMMEDIATE');
    } catch (error) {
      // No batch began (another process held the write lock past the busy timeout): the
      // level goes back now, since only a batch that ends restores it (#flushAgainAfter),
      // and every later commit on this connection would have gone without the flush.
      if (unflushed) this.#db.exec('PRAGMA synchronous = FULL');
      throw error;
    }
    const batch = new Batch(this.#nextSeq, unflushed);
    this.#nextSeq += 1;
    this.#batch = batch;
    setImmediate(() => {
      if (this.#batch !== batch) return;
      if (this.#inTransaction) this.#commitDue = true;
      else this.#commit();
    });
  }

  /** After a batch begun without the flush has ended (committed or lost): every later commit flushes again. */
  #flushAgainAfter(batch: Batch): void {
    if (batch.unflushed && !this.#db.isTransaction) this.#db.exec('PRAGMA synchronous = FULL');
  }

  /**
   * The batch's commit came due while the transaction was open: it commits now. Put off to
   * a later turn, the next transaction (which may begin as soon as this one has handed
   * its statements over) could hold it off again, and the one after that, for as long as
   * transactions that wait on something else keep coming.
   */
  #afterTransaction(): void {
    if (!this.#commitDue) return;
    this.#commitDue = false;
    this.#commit();
  }

  #commit(): void {
    const batch = this.#batch;
    if (!batch) return;
    this.#batch = undefined;
    const started = performance.now();
    try {
      this.#db.exec('COMMIT');
    } catch (error) {
      if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
      this.#lost = { seq: batch.seq, error };
      for (const waiter of batch.waiters) waiter.reject(error);
      return;
    } finally {
      this.#flushAgainAfter(batch);
    }
    this.#observe?.(batch.statements, (performance.now() - started) / 1000, this.#flushesEachCommit && !batch.unflushed);
    for (const waiter of batch.waiters) waiter.resolve();
  }

  /** SQLite rolled the batch back on its own: everyone in it is told. */
  #lose(error: unknown): void {
    const batch = this.#batch;
    this.#batch = undefined;
    this.#commitDue = false;
    if (!batch) return;
    this.#flushAgainAfter(batch);
    this.#lost = { seq: batch.seq, error };
    for (const waiter of batch.waiters) waiter.reject(error);
  }

  unlock(): void {
    this.#mutex.unlock();
  }
}

/**
 * One holder's use of the single connection, from acquire to release. A statement outside
 * a transaction gives the connection back as soon as it has run, before its batch
 * commits, so that the next request's statements can join the same batch.
 */
class Turn implements DatabaseConnection {
  readonly #driver: GroupCommitSqliteDriver;
  #released = false;
  constructor(driver: GroupCommitSqliteDriver) {
    this.#driver = driver;
  }
  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    return this.#driver.execute(this, query) as Promise<QueryResult<R>>;
  }
  streamQuery<R>(query: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    return this.#driver.stream(query) as AsyncIterableIterator<QueryResult<R>>;
  }
  /** The connection has been given back: this holder's transaction, if any, is the batch's. */
  get released(): boolean {
    return this.#released;
  }
  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#driver.unlock();
  }
}

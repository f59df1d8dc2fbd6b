// A provider request's writes, stored in one go. oidc-provider stores each record the
// moment it makes it: a module's return from the login (the resume) ended the interaction,
// saved the grant with its session binding, the code, the provider session and the launch
// audit event one after another, and the code exchange its two tokens. Nothing of it is
// answered before the request ends, so on the routes below the adapter's saves and
// destroys queue here instead, reads in the same request see what is queued
// (read-your-writes), and a middleware stores the batch after the provider is done and
// before the answer leaves: one statement on PostgreSQL (data-modifying WITHs), one
// transaction on SQLite. If that fails the answer is an error, never a success whose
// writes are lost.
//
// A batch may have a guard, the conditional write that makes something single-use, and
// writes the rest only if the guard's write found its record:
// - the resume's batch begins with the end of its interaction, which marks its uid used
//   (the interaction itself is carried by the browser, carried-interaction.ts, or stored
//   when too large): of two resumes of one interaction racing, one gets a code and the
//   other an error (InteractionAlreadyUsed), where both used to get a code;
// - the token route's begins with the spend of its code or refresh token (`consume`): of
//   two exchanges racing, one gets tokens; the other (AlreadySpent) gets invalid_grant,
//   and the grant with every token it gave is revoked, as RFC 6749 §4.1.2 asks of a code
//   used twice. A replay after the first exchange is stored is refused by the provider
//   itself, which reads the record's spent mark before it spends.
// A client credentials batch whose module was authenticated from a remembered copy
// (remembered-modules.ts) stores its token only while the module's stored secret is still
// the copy's: one statement, the insert conditional on it (ModuleSecretChanged otherwise).
//
// A batch holds rows as they are stored: every record id here is its stored id
// (stored-ids.ts storedId, which the adapter applies), never a token's own value.
import { PostgresAdapter, sql, type Insertable, type InsertQueryBuilder, type InsertResult, type OnConflictBuilder, type QueryCreator } from 'kysely';
import { Provider } from 'oidc-provider';
import { auditRow, type AuditEvent } from '../../audit/index.ts';
import { rowInsertedIf, type Database, type Db, type Queryable } from '../../storage/index.ts';
import { fixedQuery } from '../../shared/fixed-query.ts';
import { grantBindingRow, onBindingConflict, type GrantBinding } from './session-binding.ts';
import { INTERACTION_TTL_S } from './carried-interaction.ts';
import { storedId } from './stored-ids.ts';

/** A record's row as stored: its id and payload as stored-ids.ts makes them. */
export type RecordValues = Insertable<Database['oidc_records']>;

/**
 * A record saved (or saved again: the provider re-saves sessions and interactions). The
 * spent mark stays, as it must for a token saved again after it was consumed.
 */
export function recordUpsert(qc: QueryCreator<Database>, values: RecordValues) {
  return qc.insertInto('oidc_records').values(values).onConflict((oc) => onRecordConflict(oc, false));
}

/**
 * One record saved, alone (a client credentials token, a save outside a batch): compiled
 * once (fixed-query.ts), and on PostgreSQL prepared once per connection.
 */
const savedRecord = fixedQuery(
  (db, model: string, id: string, payload: string, grantId: string | null, userCode: string | null, uid: string | null, accountId: string | null, expiresAt: number | null) =>
    recordUpsert(db, { model, id, payload, grant_id: grantId, user_code: userCode, uid, account_id: accountId, expires_at: expiresAt, consumed_at: null }),
);

/** A saved record's values as the fixed statements take them, in their order. */
function recordArguments(values: RecordValues) {
  const { model, id, payload, grant_id = null, user_code = null, uid = null, account_id = null, expires_at = null } = values;
  return [model, id, payload, grant_id, user_code, uid, account_id, expires_at] as const;
}

/** A record saved alone, unspent (recordUpsert's one row). */
export async function saveRecord(db: Queryable, values: RecordValues): Promise<void> {
  await savedRecord(db, ...recordArguments(values));
}

/**
 * One record saved, unspent, only while the module `clientId` is still confidential with
 * the secret `secretHash` (INSERT ... SELECT ... WHERE EXISTS: PostgreSQL types the selected values by
 * their columns). A fixed statement, as saveRecord's. Its one use is a client credentials
 * token, which on SQLite need not wait for the disk: lost to a power cut, it is refused
 * (fails closed) and its module asks for another, as for an expired one; nothing is
 * single-use or counted about it (docs/PERFORMANCE.md, Durability).
 */
const savedRecordUnderSecret = fixedQuery(
  (db, model: string, id: string, payload: string, grantId: string | null, userCode: string | null, uid: string | null, accountId: string | null, expiresAt: number | null, clientId: string, secretHash: string) => {
    const row = { model, id, payload, grant_id: grantId, user_code: userCode, uid, account_id: accountId, expires_at: expiresAt, consumed_at: null };
    // Still confidential too: a module that could no longer use client credentials gets no token.
    const secretStillStored = sql<boolean>`exists ${db.selectFrom('modules').select('modules.id').where('modules.client_id', '=', clientId).where('modules.secret_hash', '=', secretHash).where('modules.client_type', '=', 'confidential')}`;
    return rowInsertedIf(db, 'oidc_records', row, secretStillStored).onConflict((oc) => onRecordConflict(oc, false)).returning('id');
  },
  { flush: 'may-wait' },
);

async function saveRecordUnderSecret(db: Queryable, values: RecordValues, client: ClientGuard): Promise<boolean> {
  const stored = await savedRecordUnderSecret(db, ...recordArguments(values), client.clientId, client.secretHash);
  return stored.length === 1;
}

/** Provider routes whose writes are batched: the authorization (and its resume) and the token endpoint. */
const BATCHED_ROUTES = new Set(['authorization', 'resume', 'token']);

/** Of two resumes of one interaction, the one that found it already ended by the other. */
export class InteractionAlreadyUsed extends Error {
  constructor() {
    super('the interaction was already resumed');
  }
}

/** Of two exchanges of one code or refresh token, the one that found it spent by the other; its grant has been revoked. */
export class AlreadySpent extends Error {
  constructor() {
    super('the code or refresh token was already used');
  }
}

/** The copy of a module was older than its stored secret: no token was stored. */
export class ModuleSecretChanged extends Error {
  readonly clientId: string;
  constructor(clientId: string) {
    super('the module secret changed');
    this.clientId = clientId;
  }
}

/** The secret a client credentials token is issued under; `readNow` when the module was read in this request, not taken from a copy. */
export interface ClientGuard {
  clientId: string;
  secretHash: string;
  readNow: boolean;
}

/** The write a batch depends on: the interaction's end (resume) or the code's or refresh token's spend (token). */
type Guard = { kind: 'end'; model: string; id: string } | { kind: 'spend'; model: string; id: string; at: number };

type RecordWrite =
  // `carried`: travels in the browser (carried-interaction.ts), kept here only for reads.
  | { kind: 'save'; values: RecordValues; binding: GrantBinding | undefined; replaces: boolean; carried?: boolean }
  | { kind: 'destroy'; model: string; id: string };

const keyOf = (model: string, id: string) => `${model}\u0000${id}`;

export class WriteBatch {
  readonly #records = new Map<string, RecordWrite>();
  readonly #audits: AuditEvent[] = [];
  #guard: Guard | undefined;
  #client: ClientGuard | undefined;
  readonly #route: string;

  constructor(route: string) {
    this.#route = route;
  }

  /** Nothing to store: no record, no audit event, and no guard (a spend must be stored even alone). */
  get empty(): boolean {
    const stored = [...this.#records.values()].some((write) => write.kind === 'destroy' || !write.carried);
    return !stored && this.#audits.length === 0 && this.#guard === undefined;
  }

  /** A record the browser carries instead (an interaction): seen by this request's reads, never stored. */
  carry(values: RecordValues): void {
    this.#records.set(keyOf(values.model, values.id), { kind: 'save', values, binding: undefined, replaces: false, carried: true });
  }

  save(values: RecordValues, binding: GrantBinding | undefined): void {
    const key = keyOf(values.model, values.id);
    const earlier = this.#records.get(key);
    // The guard's record made again: its end is no longer the request's last word on it.
    if (this.#guard && keyOf(this.#guard.model, this.#guard.id) === key) this.#guard = undefined;
    this.#records.set(key, {
      kind: 'save',
      values,
      binding: binding ?? (earlier?.kind === 'save' ? earlier.binding : undefined),
      // Destroyed and made again within the request: a new record, not yet spent.
      replaces: earlier?.kind === 'destroy' || (earlier?.kind === 'save' && earlier.replaces),
    });
  }

  destroy(model: string, rowId: string): void {
    const key = keyOf(model, rowId);
    // The resume ends the interaction it found: marking it used is the batch's condition.
    if (this.#route === 'resume' && model === 'Interaction' && !this.#guard && !this.#records.has(key)) this.#guard = { kind: 'end', model, id: rowId };
    this.#records.set(key, { kind: 'destroy', model, id: rowId });
  }

  /** The module secret the request's token must be stored under (remembered-modules.ts). */
  guardClient(guard: ClientGuard): void {
    this.#client = guard;
  }

  get clientGuard(): ClientGuard | undefined {
    return this.#client;
  }

  audit(event: AuditEvent): void {
    this.#audits.push(event);
  }

  /** What the request did to a record so far: saved (its values), destroyed, or nothing. */
  queued(model: string, rowId: string): { values: RecordValues; bound: boolean } | 'destroyed' | undefined {
    const write = this.#records.get(keyOf(model, rowId));
    if (!write) return undefined;
    return write.kind === 'destroy' ? 'destroyed' : { values: write.values, bound: write.binding !== undefined };
  }

  /** A record of `model` saved in this request that `matches` (a lookup by uid or user code). */
  savedWhere(model: string, matches: (values: RecordValues) => boolean): RecordValues | undefined {
    for (const write of this.#records.values()) if (write.kind === 'save' && write.values.model === model && matches(write.values)) return write.values;
    return undefined;
  }

  /** Spends a record saved in this request (nobody else can have seen it). False if there is none. */
  spend(model: string, rowId: string, now: number): boolean {
    const write = this.#records.get(keyOf(model, rowId));
    if (write?.kind !== 'save') return false;
    write.values = { ...write.values, consumed_at: now };
    return true;
  }

  /**
   * Spends a stored record as the batch's guard (on the token route, once per request): the
   * batch is stored only if the spend finds it unspent. False when the spend must be made
   * now instead (another route, or a guard already taken).
   */
  guardSpend(model: string, rowId: string, now: number): boolean {
    if (this.#route !== 'token' || this.#guard) return false;
    this.#guard = { kind: 'spend', model, id: rowId, at: now };
    return true;
  }

  /** A revocation (which deletes at once) covers what was queued before it, as it would have covered it stored. */
  forgetGrant(grantId: string, model?: string): void {
    for (const [key, write] of this.#records) {
      if (write.kind !== 'save' || (model !== undefined && write.values.model !== model)) continue;
      const ofGrant = write.values.grant_id === grantId || (model === undefined && write.values.model === 'Grant' && write.values.id === storedId('Grant', grantId));
      if (ofGrant) this.#records.delete(key);
    }
  }

  /** Stores the batch: one statement on PostgreSQL, one transaction on SQLite. */
  async store(db: Db, now: number): Promise<void> {
    const guard = this.#guard;
    const onPostgres = db.getExecutor().adapter instanceof PostgresAdapter;
    // Parts of PostgreSQL's WITH that write only if the guard's write found its record.
    const guarded = guard !== undefined && onPostgres;
    const guardKey = guard?.kind === 'end' ? keyOf(guard.model, guard.id) : undefined;
    const writes = [...this.#records].filter(([key, write]) => key !== guardKey && !(write.kind === 'save' && write.carried)).map(([, write]) => write);
    const destroyed = writes.flatMap((write) => (write.kind === 'destroy' ? [write] : []));
    const saved = writes.flatMap((write) => (write.kind === 'save' ? [write] : []));
    const bindings = saved.flatMap(({ binding }) => (binding ? [grantBindingRow(binding, now)] : []));
    const parts: Part[] = [];
    if (destroyed.length > 0) {
      parts.push((qc) =>
        qc
          .deleteFrom('oidc_records')
          .where((eb) => eb.or(destroyed.map(({ model, id }) => eb.and([eb('model', '=', model), eb('id', '=', id)]))))
          .$if(guarded, (query) => query.where(guardFound)),
      );
    }
    for (const replaces of [false, true]) {
      const rows = saved.filter((write) => write.replaces === replaces).map(({ values }) => values);
      parts.push(...rowInserts('oidc_records', rows, guarded, (insert) => insert.onConflict((oc) => onRecordConflict(oc, replaces))));
    }
    parts.push(...rowInserts('module_grant_sessions', bindings, guarded, (insert) => insert.onConflict(onBindingConflict)));
    parts.push(...rowInserts('audit_events', this.#audits.map((event) => auditRow(now, event)), guarded, (insert) => insert));

    // The commonest batch, one record saved and nothing else (a client credentials token;
    // a binding or an audit event would be a part of its own): the fixed statement.
    const lone = !guard && parts.length === 1 && saved.length === 1 ? saved[0] : undefined;
    const loneUnspent = lone && !lone.replaces && (lone.values.consumed_at ?? null) === null ? lone : undefined;
    if (this.#client) {
      // A client credentials token is all such a batch holds; anything else is a mistake
      // here, refused rather than stored without its condition.
      if (!loneUnspent) throw new Error(`a ${this.#route} batch with a client guard must hold one new record`);
      if (!(await saveRecordUnderSecret(db, loneUnspent.values, this.#client))) throw new ModuleSecretChanged(this.#client.clientId);
    } else if (loneUnspent) {
      await saveRecord(db, loneUnspent.values);
    } else if (!guard && parts.length <= 1) {
      await parts[0]?.(db).execute();
    } else if (onPostgres) {
      const start = guard ? db.with('guard', (qc) => guardWrite(qc, guard, now)) : db;
      const statement = parts.reduce<QueryCreator<Database>>((qc, part, i) => qc.with(`part_${i}`, (inner) => part(inner) as never), start as unknown as QueryCreator<Database>);
      const [row] = await statement.selectNoFrom(guard ? sql<number>`(select count(*) from guard)`.as('found') : sql<number>`1`.as('found')).execute();
      if (guard && Number(row?.found) !== 1) await refuseGuarded(db, guard);
    } else {
      // SQLite cannot write inside WITH: the same parts in one transaction, one commit.
      const found = await db.transaction().execute(async (tx) => {
        if (guard && (await guardWrite(tx, guard, now).execute()).length !== 1) return false;
        for (const part of parts) await part(tx).execute();
        return true;
      });
      if (guard && !found) await refuseGuarded(db, guard);
    }
  }
}

/**
 * The guard's write: the record's spend if it is not spent yet; for an interaction, its uid
 * marked used unless it is already. The mark is its stored row spent, or a row of its own
 * when the browser carried the interaction, kept until any cookie carrying it has expired.
 */
function guardWrite(qc: QueryCreator<Database>, guard: Guard, now: number) {
  if (guard.kind === 'end') {
    return qc
      .insertInto('oidc_records')
      .values({ model: guard.model, id: guard.id, payload: '{}', expires_at: now + INTERACTION_TTL_S * 1000, consumed_at: now })
      .onConflict((oc) => oc.columns(['model', 'id']).doUpdateSet({ consumed_at: now }).where('oidc_records.consumed_at', 'is', null))
      .returning('id');
  }
  return qc
    .updateTable('oidc_records')
    .set({ consumed_at: guard.at })
    .where('model', '=', guard.model)
    .where('id', '=', guard.id)
    .where('consumed_at', 'is', null)
    .returning('id');
}

/** The guard found nothing: nothing of the batch was written. A spent record's grant ends with all it gave. */
async function refuseGuarded(db: Db, guard: Guard): Promise<never> {
  if (guard.kind === 'end') throw new InteractionAlreadyUsed();
  const spent = await db.selectFrom('oidc_records').select('grant_id').where('model', '=', guard.model).where('id', '=', guard.id).executeTakeFirst();
  if (spent?.grant_id) await revokeGrant(db, spent.grant_id);
  throw new AlreadySpent();
}

/**
 * A grant and every record it gave. The grant itself goes too, not only its tokens: the
 * winner of a race may store its tokens after this runs, and the provider refuses tokens
 * whose grant is gone (refresh, introspection, userinfo).
 */
export async function revokeGrant(db: Db, grantId: string): Promise<void> {
  await db
    .deleteFrom('oidc_records')
    .where((eb) => eb.or([eb('grant_id', '=', grantId), eb.and([eb('model', '=', 'Grant'), eb('id', '=', storedId('Grant', grantId))])]))
    .execute();
}

type Part = (qc: QueryCreator<Database>) => { execute(): Promise<unknown> };

const guardFound = sql<boolean>`exists (select 1 from guard)`;

function onRecordConflict(oc: OnConflictBuilder<Database, 'oidc_records'>, replaces: boolean) {
  return oc.columns(['model', 'id']).doUpdateSet((eb) => ({
    payload: eb.ref('excluded.payload'),
    grant_id: eb.ref('excluded.grant_id'),
    user_code: eb.ref('excluded.user_code'),
    uid: eb.ref('excluded.uid'),
    account_id: eb.ref('excluded.account_id'),
    expires_at: eb.ref('excluded.expires_at'),
    ...(replaces ? { consumed_at: eb.ref('excluded.consumed_at') } : {}),
  }));
}

type BatchedTable = 'oidc_records' | 'module_grant_sessions' | 'audit_events';

/**
 * The INSERTs of `rows`: one multi-row statement, or when `guarded` one per row, each
 * writing only if the guard's write found its record. PostgreSQL types the values of
 * `INSERT ... SELECT $1, $2 WHERE ...` by their columns, as it types VALUES, so that needs
 * no casts (but a UNION of such rows would).
 */
function rowInserts<T extends BatchedTable>(
  table: T,
  rows: Array<Insertable<Database[T]>>,
  guarded: boolean,
  finish: (insert: InsertQueryBuilder<Database, T, InsertResult>) => { execute(): Promise<unknown> },
): Part[] {
  if (rows.length === 0) return [];
  if (!guarded) return [(qc) => finish(qc.insertInto(table).values(rows as never))];
  return rows.map((row) => (qc: QueryCreator<Database>) => finish(rowInsertedIf(qc, table, row, guardFound)));
}

const batches = new WeakMap<object, WriteBatch>();

/** The batch of the provider request being served, if it is on a batched route. */
export function batchOfRequest(ctx: unknown = Provider.ctx): WriteBatch | undefined {
  const route = (ctx as { oidc?: { route?: string } } | undefined)?.oidc?.route;
  if (!ctx || typeof ctx !== 'object' || !route || !BATCHED_ROUTES.has(route)) return undefined;
  let batch = batches.get(ctx);
  if (!batch) batches.set(ctx, (batch = new WriteBatch(route)));
  return batch;
}

/**
 * Koa middleware (provider.use: it runs outside the provider's router and its error
 * handler, inside the durability middleware) that stores the request's batch after the
 * provider has answered and before the answer is sent. A failure goes to `unstored`,
 * which must turn the answer into an error.
 */
export function storeBatchBeforeAnswering(db: Db, clock: () => number, unstored: (ctx: object, error: unknown) => void) {
  return async function storeBatchedWrites(ctx: object, next: () => Promise<unknown>) {
    try {
      await next();
    } finally {
      const batch = batches.get(ctx);
      batches.delete(ctx);
      if (batch && !batch.empty) {
        try {
          await batch.store(db, clock());
        } catch (error) {
          unstored(ctx, error);
        }
      }
    }
  };
}

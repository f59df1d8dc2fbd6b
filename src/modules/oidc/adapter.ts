// oidc-provider's storage port on our database. Every node shares it, so codes, tokens,
// sessions and interactions survive restarts and work across nodes. `consume` is one
// conditional UPDATE (on the token route stored with the new tokens, as the guard of the
// request's write batch): when two requests race to redeem one code or refresh token, the
// loser learns it lost, the grant and all its tokens are revoked and it gets invalid_grant.
// Grants are bound to the Gatehouse session they came from (session-binding.ts), in the
// same write that saves them. On the authorization and token routes saves and destroys
// wait for the end of the request and are stored together (write-batch.ts). A record
// whose id is a bearer value is stored under its hash (stored-ids.ts): each method takes
// the provider's id and turns it into the stored one (`rowId`) for the rows and the batch.
import { PostgresAdapter } from 'kysely';
import { errors } from 'oidc-provider';
import type { Db } from '../../storage/index.ts';
import { fixedQuery } from '../../shared/fixed-query.ts';
import { CLIENT_MEMO_ROUTES, currentRoute, forgetForRequest, rememberForRequest, rememberingForRequest, seedForRequest } from './request-memo.ts';
import {
  clientKey,
  grantKey,
  INTROSPECTED,
  introspectedById,
  introspectedKey,
  providerSessionKey,
  recordById,
  rememberTokenParts,
  revivedPayload,
  tokenById,
  tokenKey,
  type StoredRecord,
} from './token-reads.ts';
import { clientWithNamedToken } from './client-with-token.ts';
import { clientMetadataOf } from './clients.ts';
import type { RememberedModules } from './remembered-modules.ts';
import { bindingForGrantSave, grantBindingInsert, sessionBehindGrant } from './session-binding.ts';
import { batchOfRequest, recordUpsert, revokeGrant, saveRecord, type RecordValues } from './write-batch.ts';
import { handedFor } from './resume-handover.ts';
import { readSignIn } from './sign-in-record.ts';
import type { CarriedInteractions } from './carried-interaction.ts';
import { storedId, storedPayload } from './stored-ids.ts';

type Payload = Record<string, unknown> & { grantId?: string; userCode?: string; uid?: string; accountId?: string };

const GRANT_BOUND = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest']);

const INTROSPECTION_ROUTE = new Set(['introspection']);

// The reads every token request makes, compiled once (fixed-query.ts).
const recordByUid = fixedQuery((db, model: string, uid: string) =>
  db.selectFrom('oidc_records').select(['id', 'payload', 'consumed_at', 'expires_at']).where('model', '=', model).where('uid', '=', uid),
);

// A spend outside the token route's batch, compiled once too (a record saved alone is
// write-batch.ts saveRecord).
const spentRecord = fixedQuery((db, model: string, rowId: string, now: number) =>
  db.updateTable('oidc_records').set({ consumed_at: now }).where('model', '=', model).where('id', '=', rowId).where('consumed_at', 'is', null).returning('grant_id'),
);

/** What travels in the browser instead of in rows: a sign-in in progress (its result goes to the resume in-process: resume-handover.ts). */

/**
 * An id the provider was handed (a client_id, a token, a uid) with a control character in
 * it was never stored: none is ever made with one. Answered "not found" before it reaches
 * the database, where PostgreSQL would refuse a NUL in text outright (a 500 the provider
 * renders itself, outside the API's error handler).
 */
const neverStored = (id: string) => /\p{Cc}/u.test(id);

export interface CarriedInBrowser {
  interactions: CarriedInteractions;
}

export function createAdapterFactory(db: Db, clock: () => number, carried?: CarriedInBrowser, remembered?: RememberedModules) {
  async function introspectedToken(id: string, model: string) {
    const rows = await rememberForRequest(introspectedKey(id), () => introspectedById(db, id), INTROSPECTION_ROUTE);
    const row = rows.find((candidate) => candidate.model === model);
    rememberTokenParts(row, clock());
    return row;
  }

  async function storedRecord(model: string, id: string): Promise<StoredRecord | undefined> {
    if (model === 'Grant') return (await rememberForRequest(grantKey(id), () => recordById(db, model, id)))[0];
    if (INTROSPECTED.includes(model) && currentRoute() === 'introspection') return introspectedToken(id, model);
    if (!GRANT_BOUND.has(model) || !rememberingForRequest()) return (await recordById(db, model, id))[0];
    const [row] = await rememberForRequest(tokenKey(model, id), () => tokenById(db, model, id));
    rememberTokenParts(row, clock());
    return row;
  }

  return class GatehouseOidcAdapter {
    readonly model: string;
    constructor(model: string) {
      this.model = model;
    }

    async upsert(id: string, payload: Payload, expiresIn?: number): Promise<void> {
      const values: RecordValues = {
        model: this.model,
        id: storedId(this.model, id),
        payload: JSON.stringify(storedPayload(this.model, payload)),
        grant_id: payload.grantId ?? null,
        user_code: payload.userCode ?? null,
        uid: payload.uid ?? null,
        // Lets every token and session of one user be ended together (deactivation,
        // password change, 2FA reset).
        account_id: typeof payload.accountId === 'string' ? payload.accountId : null,
        expires_at: expiresIn ? clock() + expiresIn * 1000 : null,
        consumed_at: null,
      };
      if (this.model === 'Grant') forgetForRequest(grantKey(id));
      if (this.model === 'Session' && payload.uid) forgetForRequest(providerSessionKey(payload.uid));
      if (this.model === 'Interaction' && carried) {
        // Carried in the browser (carried-interaction.ts), where it fits; read back from the
        // batch for the rest of this request.
        if (values.expires_at && carried.interactions.carry(id, values.payload, values.expires_at)) return batchOfRequest()?.carry(values);
        // Stored as a row: a copy the browser carried earlier must not shadow it.
        carried.interactions.drop(id);
      }
      const binding = this.model === 'Grant' ? bindingForGrantSave(id) : undefined;
      const batch = batchOfRequest();
      if (batch) {
        batch.save(values, binding);
      } else if (!binding) {
        await saveRecord(db, values);
      } else if (db.getExecutor().adapter instanceof PostgresAdapter) {
        // The grant and its binding to the Gatehouse session in one statement.
        await recordUpsert(db.with('bound', (qc) => grantBindingInsert(qc, binding, clock()).returning('grant_id')), values).execute();
      } else {
        // SQLite cannot write in a WITH clause: one transaction, one commit.
        await db.transaction().execute(async (tx) => {
          await recordUpsert(tx, values).execute();
          await grantBindingInsert(tx, binding, clock()).execute();
        });
      }
    }

    async find(id: string): Promise<Payload | undefined> {
      if (neverStored(id)) return undefined;
      if (this.model === 'Client') return rememberForRequest(clientKey(id), () => clientWithNamedToken(db, id, clock(), remembered), CLIENT_MEMO_ROUTES);
      const queued = batchOfRequest()?.queued(this.model, storedId(this.model, id));
      if (queued === 'destroyed') return undefined;
      if (this.model === 'Interaction' && !queued) return this.#interaction(id);
      const row = queued?.values ?? (await storedRecord(this.model, id));
      if (!row) return undefined;
      // A grant is there only while the Gatehouse session it came from is live: refresh,
      // userinfo and introspection all look the grant up, so all three refuse together.
      // (A grant bound in this very request is bound to the session it just checked.)
      if (this.model === 'Grant' && !queued?.bound && !(await sessionBehindGrant(db, id, clock()))) return undefined;
      return this.#revive(row, id);
    }

    /**
     * A sign-in in progress (sign-in-record.ts). The resume takes what the gate read and
     * decided in this same request (resume-handover.ts): the sign-in, its module and its
     * result, read once for both.
     */
    async #interaction(id: string): Promise<Payload | undefined> {
      const onResume = currentRoute() === 'resume';
      const handed = onResume ? handedFor(id) : undefined;
      const found = handed ? { payload: handed.interaction, caller: handed.caller } : await readSignIn(db, carried?.interactions, id, clock(), onResume);
      const clientId = found.payload?.params?.client_id;
      if (onResume && found.caller && typeof clientId === 'string') seedForRequest(clientKey(clientId), clientMetadataOf(found.caller), CLIENT_MEMO_ROUTES);
      return handed && found.payload ? { ...found.payload, result: handed.result } : found.payload;
    }

    async findByUid(uid: string): Promise<Payload | undefined> {
      if (neverStored(uid)) return undefined;
      return this.#findBy((values) => values.uid === uid, async () => {
        const load = () => recordByUid(db, this.model, uid);
        return (this.model === 'Session' ? await rememberForRequest(providerSessionKey(uid), load) : await load())[0];
      });
    }

    async findByUserCode(userCode: string): Promise<Payload | undefined> {
      return this.#findBy(
        (values) => values.user_code === userCode,
        () => db.selectFrom('oidc_records').select(['id', 'payload', 'consumed_at', 'expires_at']).where('model', '=', this.model).where('user_code', '=', userCode).executeTakeFirst(),
      );
    }

    /**
     * A lookup by a column other than the id: what this request saved, else what is stored
     * unless this request changed it (the row's id is as stored, as the batch holds it). A
     * bearer record found so comes without its id, which only its hash in the row knows.
     */
    async #findBy(matches: (values: RecordValues) => boolean, load: () => Promise<(StoredRecord & { id?: string }) | undefined>): Promise<Payload | undefined> {
      const batch = batchOfRequest();
      const saved = batch?.savedWhere(this.model, matches);
      if (saved) return this.#revive(saved);
      const row = await load();
      if (!row || (batch && row.id !== undefined && batch.queued(this.model, row.id))) return undefined;
      return this.#revive(row);
    }

    async consume(id: string): Promise<void> {
      const rowId = storedId(this.model, id);
      const batch = batchOfRequest();
      if (batch?.spend(this.model, rowId, clock())) return;
      if (batch?.queued(this.model, rowId) === 'destroyed') throw new errors.InvalidGrant('grant already used');
      // On the token route the spend is the batch's guard: stored with the new tokens, in
      // one statement, and they only if it finds the record unspent (write-batch.ts).
      if (batch?.guardSpend(this.model, rowId, clock())) return;
      const [consumed] = await spentRecord(db, this.model, rowId, clock());
      if (consumed) return;
      // Someone redeemed it first: treat this as the replay it is.
      const row = await db
        .selectFrom('oidc_records')
        .select('grant_id')
        .where('model', '=', this.model)
        .where('id', '=', rowId)
        .executeTakeFirst();
      if (row?.grant_id && GRANT_BOUND.has(this.model)) await this.#destroyGrant(row.grant_id);
      throw new errors.InvalidGrant('grant already used');
    }

    /** The grant and all it gave (write-batch.ts revokeGrant), and nothing of it left queued. */
    async #destroyGrant(grantId: string): Promise<void> {
      forgetForRequest(grantKey(grantId));
      batchOfRequest()?.forgetGrant(grantId);
      await revokeGrant(db, grantId);
    }

    async destroy(id: string): Promise<void> {
      if (this.model === 'Grant') forgetForRequest(grantKey(id));
      forgetForRequest(tokenKey(this.model, id));
      // A provider session is remembered by uid, which its id does not give: forget them all.
      if (this.model === 'Session') forgetForRequest(providerSessionKey(''), { prefix: true });
      // The resume's end of a sign-in: what the browser carried for it goes too (the sign-in
      // would meet its used mark).
      if (this.model === 'Interaction') carried?.interactions.drop(id);
      const rowId = storedId(this.model, id);
      const batch = batchOfRequest();
      if (batch) return batch.destroy(this.model, rowId);
      await db.deleteFrom('oidc_records').where('model', '=', this.model).where('id', '=', rowId).execute();
    }

    // This model's records only (the provider calls it once per token model): an
    // interaction in progress for the same grant, e.g. a sign-in switching accounts that
    // logs the previous one out, must survive the revocation.
    async revokeByGrantId(grantId: string): Promise<void> {
      batchOfRequest()?.forgetGrant(grantId, this.model);
      forgetForRequest(tokenKey(this.model, ''), { prefix: true });
      await db.deleteFrom('oidc_records').where('model', '=', this.model).where('grant_id', '=', grantId).execute();
    }

    /** A stored row, or the values of one saved earlier in this request (write-batch.ts), with its id when it was read by it. */
    #revive(row: StoredRecord | RecordValues, id?: string): Payload | undefined {
      return revivedPayload(row, clock(), id) as Payload | undefined;
    }
  };
}

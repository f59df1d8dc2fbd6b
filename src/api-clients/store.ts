// API client rows: created, listed, rotated and deleted, each change audited in the same
// transaction. The secret is shown once and stored only as a keyed hash (the key the
// provider compares module secrets with), so a database leak yields no usable secret.
// Reach is the tenant scope: a company's Master reaches only that company's clients.
import { createHash } from 'node:crypto';
import type { ExpressionBuilder, Selectable } from 'kysely';
import { recordAudit } from '../audit/index.ts';
import { lockedRoomFor, type Counted } from '../users/company-totals.ts';
import { MAX_API_CLIENT_EXPIRY_DAYS as MAX_EXPIRY_DAYS } from '../contract/api-clients.ts';
import { keyedHash, newId, randomToken } from '../crypto/index.ts';
import { assertThat, GatehouseError } from '../errors.ts';
import type { CoreDeps, RequestMeta } from '../shared/deps.ts';
import type { Queryable } from '../storage/index.ts';
import type { ApiClientsTable, Database } from '../storage/schema.ts';
// A waiting 2FA reset a client asked for is withdrawn by the users door's one mechanism
// (src/users/two-factor-reset.ts), which reads standingApiClient from here in turn.
import { assertStillMaster, withdrawApprovals } from '../users/index.ts';
import { revokeClientCredentials } from '../modules/index.ts';
import { checkScopes, parseStoredScopes, type ApiScope } from './scopes.ts';

export type ApiClientRow = Selectable<ApiClientsTable>;

/** Recognisable in logs and secret scanners. */
export const CLIENT_ID_PREFIX = 'ghapi_';
export const SECRET_PREFIX = 'ghapisec_';
export { MAX_EXPIRY_DAYS };
const DAY_MS = 86_400_000;

/**
 * The most live clients (not deleted, not expired) one company may hold. The API's rate
 * limit counts per client (useApiClient), so without this a company multiplied its budget
 * by making clients; with it, a company's budget is at most this many times the limit.
 * A client deleted or expired keeps its slot for one rate window more: a new client made
 * in it starts with a whole budget, and must not spend it in the same minute as the one it
 * replaces did (a spent client deleted and re-made went past the bound).
 * The message of `api_client.too_many` (src/errors.ts) names the number: change both.
 * Platform clients (no company) are the operator's, and not capped by it.
 */
export const MAX_LIVE_CLIENTS_PER_COMPANY = 20;

/** The API's rate window: GATEHOUSE_API_RATE_LIMIT requests per client in any interval this long. */
export const API_RATE_WINDOW_MS = 60_000;

/** Which clients a caller may see and change: one company's, or every one (operators, the CLI). */
export type Reach = { companyId: string } | 'every-company';

/** Who makes a change, for the trail: a user id (or `cli`), and where from. */
export interface ChangedBy {
  actorId: string;
  /** Names the actor in the trail once the user may be gone. */
  actorUsername?: string | undefined;
  meta: RequestMeta;
}

export interface ApiClientInput {
  name: string;
  scopes: readonly string[];
  /** The company it acts for; null for a platform client. */
  companyId: string | null;
  expiresInDays?: number | undefined;
}

export interface ApiClientView {
  id: string;
  clientId: string;
  name: string;
  companyId: string | null;
  scopes: ApiScope[];
  expiresAt: number | null;
  createdBy: string;
  createdAt: number;
  lastUsedAt: number | null;
  /** The person holding its secret may no longer (holderMayHold): refused until a Master rotates it. */
  holderLeft: boolean;
}

export function viewOf(row: ApiClientRow & { holder_may_hold?: number | string | boolean }): ApiClientView {
  return {
    id: row.id,
    clientId: row.client_id,
    name: row.name,
    companyId: row.company_id,
    scopes: parseStoredScopes(row.scopes),
    expiresAt: row.expires_at === null ? null : Number(row.expires_at),
    createdBy: row.created_by,
    createdAt: Number(row.created_at),
    lastUsedAt: row.last_used_at === null ? null : Number(row.last_used_at),
    // Read with the list; a client just made or rotated is held by who did it.
    holderLeft: row.holder_may_hold !== undefined && !Number(row.holder_may_hold),
  };
}

const newSecret = () => `${SECRET_PREFIX}${randomToken()}`;
const secretKeyOf = (deps: CoreDeps) => deps.deriveKey('client-secrets');

/**
 * Which secret a token was obtained with: derived from the stored hash the provider
 * checked the secret against, and kept in the token. After a rotation the tag changes,
 * so tokens obtained with the old secret stop working at once. (Migration 0028 holds a
 * frozen copy of this derivation for the rows it backfilled: change both, or neither.)
 */
export function credentialTag(secretHash: string): string {
  return createHash('sha256').update(`gatehouse:api-credential:${secretHash}`).digest('base64url').slice(0, 22);
}

/**
 * A secret's stored columns: its keyed hash and the tag its tokens will carry, always
 * written together, so the guard can compare the tag in SQL (useApiClient) and a
 * rotation changes both in one statement.
 */
function secretColumns(deps: CoreDeps, clientSecret: string) {
  const secretHash = keyedHash(secretKeyOf(deps), clientSecret);
  return { secret_hash: secretHash, credential_tag: credentialTag(secretHash) };
}

/**
 * Puts right the tag of every client whose stored tag is not its secret's: rows a node of
 * the release before migration 0028 wrote (it changes the hash alone) while the upgrade
 * was under way, between `gatehouse migrate` and its own restart (docs/OPERATIONS.md,
 * Upgrading). Run as every node starts: the last node restarted runs it after the last
 * such write. Each fix holds only while the hash is still the one read, so a rotation
 * made meanwhile is never undone. A deployment has tens of clients: one read at start.
 */
export async function retagCredentials(db: Queryable): Promise<number> {
  const rows = await db.selectFrom('api_clients').select(['id', 'secret_hash', 'credential_tag']).where('deleted_at', 'is', null).execute();
  let fixed = 0;
  for (const row of rows) {
    const tag = credentialTag(row.secret_hash);
    if (row.credential_tag === tag) continue;
    const done = await db.updateTable('api_clients').set({ credential_tag: tag }).where('id', '=', row.id).where('secret_hash', '=', row.secret_hash).executeTakeFirst();
    fixed += Number(done.numUpdatedRows);
  }
  return fixed;
}

function checkName(name: string): string {
  const trimmed = name.trim();
  if (trimmed.length < 1 || trimmed.length > 100 || /\p{Cc}/u.test(trimmed)) {
    throw new GatehouseError('request.invalid', { fields: { name: 'Give a name of 1 to 100 characters, on one line.' } });
  }
  return trimmed;
}

function checkExpiry(days: number | undefined, now: number): number | null {
  if (days === undefined) return null;
  if (!Number.isInteger(days) || days < 1 || days > MAX_EXPIRY_DAYS) {
    throw new GatehouseError('request.invalid', { fields: { expiresInDays: `Expiry must be 1 to ${MAX_EXPIRY_DAYS} days.` } });
  }
  return now + days * DAY_MS;
}

/** The maker of a change, as a withdrawn approval's trail entry names them. */
const withdrawnBy = (by: ChangedBy) => ({ actorId: by.actorId, actorClientId: null, named: by.actorUsername ? { actorUsername: by.actorUsername } : {}, meta: by.meta });

async function audit(db: Queryable, now: number, row: ApiClientRow, action: string, by: ChangedBy, detail: Record<string, unknown> = {}) {
  await recordAudit(db, now, {
    companyId: row.company_id,
    actorId: by.actorId,
    action,
    target: row.id,
    ip: by.meta.ip,
    userAgent: by.meta.userAgent,
    detail: { clientId: row.client_id, name: row.name, ...(by.actorUsername ? { actorUsername: by.actorUsername } : {}), ...detail },
  });
}

/** A new client and its secret, shown this once (the shell's way: no proof, see proved.ts). */
export async function createApiClient(deps: CoreDeps, input: ApiClientInput, by: ChangedBy) {
  return deps.db.transaction().execute((tx) => createApiClientIn(tx, deps, input, by));
}

/** createApiClient in a transaction the caller holds (one that spent a proof: proved.ts). */
export async function createApiClientIn(tx: Queryable, deps: CoreDeps, input: ApiClientInput, by: ChangedBy) {
  const now = deps.clock();
  const name = checkName(input.name);
  const scopes = checkScopes(input.scopes, input.companyId !== null);
  const expiresAt = checkExpiry(input.expiresInDays, now);
  const clientSecret = newSecret();
  const row = await (async () => {
    await assertTakerMayHold(tx, by, input.companyId);
    if (input.companyId !== null) {
      // Not for the platform company: its users are the operators, whom only the shell adds.
      const company = await tx.selectFrom('companies').select('id').where('id', '=', input.companyId).where('is_platform', '=', 0).executeTakeFirst();
      assertThat(company, 'request.not_found');
      await assertRoomForClient(tx, input.companyId, now);
    }
    const created = await tx
      .insertInto('api_clients')
      .values({
        id: newId(),
        client_id: `${CLIENT_ID_PREFIX}${randomToken().slice(0, 22)}`,
        company_id: input.companyId,
        name,
        scopes: JSON.stringify(scopes),
        ...secretColumns(deps, clientSecret),
        expires_at: expiresAt,
        created_by: by.actorId,
        secret_holder: by.actorId,
        hold_ended_at: null,
        created_at: now,
        last_used_at: null,
        deleted_at: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await audit(tx, now, created, 'api_client.created', by, { scopes, expiresAt: expiresAt === null ? null : new Date(expiresAt).toISOString() });
    return created;
  })();
  return { client: viewOf(row), clientSecret };
}

/**
 * A company has room for one more client (MAX_LIVE_CLIENTS_PER_COMPANY), or
 * `api_client.too_many`. Counted with the company's row locked (lockCompany), in the
 * create's own transaction: two creates at once take turns, and the second counts the
 * first's client (on PostgreSQL it reads anew once the lock is its), so they cannot both
 * take the last slot. A deletion or an expiry frees its slot a rate window later.
 */
async function assertRoomForClient(tx: Queryable, companyId: string, now: number): Promise<void> {
  const since = now - API_RATE_WINDOW_MS;
  // Live now, or within the last rate window (see MAX_LIVE_CLIENTS_PER_COMPANY).
  const counted: Counted = (eb) =>
    eb.and([
      eb.or([eb('deleted_at', 'is', null), eb('deleted_at', '>', since)]),
      eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', since)]),
    ]);
  if (!(await lockedRoomFor(tx, 'api_clients', companyId, MAX_LIVE_CLIENTS_PER_COMPANY, counted))) throw new GatehouseError('api_client.too_many');
}

const companyOf = (reach: Reach) => (reach === 'every-company' ? undefined : reach.companyId);

/** Clients not deleted, newest first (expired ones included: they say so). */
export async function listApiClients(db: Queryable, reach: Reach): Promise<ApiClientView[]> {
  const companyId = companyOf(reach);
  const rows = await db
    .selectFrom('api_clients')
    .selectAll()
    .select((eb) => eb.case().when(holderMayHold(eb)).then(1).else(0).end().as('holder_may_hold'))
    .where('deleted_at', 'is', null)
    .$if(companyId !== undefined, (qb) => qb.where('company_id', '=', companyId as string))
    .orderBy('created_at', 'desc')
    .execute();
  return rows.map(viewOf);
}

async function liveRow(db: Queryable, reach: Reach, clientId: string) {
  const companyId = companyOf(reach);
  const row = await db
    .selectFrom('api_clients')
    .selectAll()
    .where('client_id', '=', clientId)
    .where('deleted_at', 'is', null)
    .$if(companyId !== undefined, (qb) => qb.where('company_id', '=', companyId as string))
    .executeTakeFirst();
  assertThat(row, 'request.not_found');
  return row;
}

/**
 * Ends the tokens a client holds, in the transaction that rotates its secret or deletes it.
 * The guard refuses them already (the credential tag, the deleted row); ended, they are
 * also gone from the provider's store, so its introspection no longer calls them active.
 */
async function endClientTokens(tx: Queryable, clientId: string): Promise<void> {
  await revokeClientCredentials(tx, tx.selectFrom('api_clients').select('client_id').where('client_id', '=', clientId));
}

/** A new secret, shown this once; the old one, and every token got with it, stop working at once. */
export async function rotateApiClientSecret(deps: CoreDeps, reach: Reach, clientId: string, by: ChangedBy) {
  return deps.db.transaction().execute((tx) => rotateApiClientSecretIn(tx, deps, reach, clientId, by));
}

/** rotateApiClientSecret in a transaction the caller holds (one that spent a proof: proved.ts). */
export async function rotateApiClientSecretIn(tx: Queryable, deps: CoreDeps, reach: Reach, clientId: string, by: ChangedBy) {
  const clientSecret = newSecret();
  const row = await (async () => {
    const now = deps.clock();
    // Before anything is read, as the guard would: a company's Master, or an operator for every company.
    await assertTakerMayHold(tx, by, companyOf(reach) ?? null);
    const found = await liveRow(tx, reach, clientId);
    const updated = await tx
      .updateTable('api_clients')
      // The rotator takes the secret over, and with it a hold that had ended (endSecretHolds).
      .set({ ...secretColumns(deps, clientSecret), secret_holder: by.actorId, hold_ended_at: null })
      .where('id', '=', found.id)
      .where('deleted_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
    assertThat(updated, 'request.not_found');
    await endClientTokens(tx, found.client_id);
    // The secret goes to another holder: what the client asked a second Master for under
    // the previous one is withdrawn, since the two-person rule bars the holder of the
    // moment from approving, and the one who asked would no longer be barred. The client
    // still stands, so this is the one withdrawal requesterMayAsk cannot see for itself.
    const withdrawn = await withdrawApprovals(tx, now, { apiClientId: found.id }, 'api_client.secret_rotated', withdrawnBy(by));
    await audit(tx, now, updated, 'api_client.secret_rotated', by, withdrawn.length > 0 ? { approvalsWithdrawn: withdrawn } : {});
    return updated;
  })();
  return { client: viewOf(row), clientSecret };
}

/** Deleted for good: its tokens are ended at once. The row stays for the trail. */
export async function deleteApiClient(deps: CoreDeps, reach: Reach, clientId: string, by: ChangedBy): Promise<ApiClientView> {
  const row = await deps.db.transaction().execute(async (tx) => {
    const now = deps.clock();
    const found = await liveRow(tx, reach, clientId);
    const deleted = await tx
      .updateTable('api_clients')
      .set({ deleted_at: now })
      .where('id', '=', found.id)
      .where('deleted_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
    assertThat(deleted, 'request.not_found');
    await endClientTokens(tx, found.client_id);
    // A deleted client asks nothing any more: what it asked a second Master for goes with it.
    const withdrawn = await withdrawApprovals(tx, now, { apiClientId: found.id }, 'api_client.deleted', withdrawnBy(by));
    await audit(tx, now, deleted, 'api_client.deleted', by, withdrawn.length > 0 ? { approvalsWithdrawn: withdrawn } : {});
    return deleted;
  });
  return viewOf(row);
}

/**
 * Whoever holds a client's secret qualifies to hold it now: the command line (`cli`, no
 * person), or a person who is still an active Master of the client's company, or an operator.
 */
const holderQualifies = (eb: ExpressionBuilder<Database, 'api_clients'>) =>
  eb.or([
    eb('api_clients.secret_holder', 'is', null),
    eb('api_clients.secret_holder', '=', 'cli'),
    eb.exists(
      eb
        .selectFrom('users as holder')
        .innerJoin('companies as holder_company', 'holder_company.id', 'holder.company_id')
        .select('holder.id')
        .whereRef('holder.id', '=', 'api_clients.secret_holder')
        .where('holder.status', '=', 'active')
        .where('holder.role', 'in', ['master', 'root_master'])
        .where((inner) => inner.or([inner('holder_company.is_platform', '=', 1), inner('holder.company_id', '=', inner.ref('api_clients.company_id'))])),
    ),
  ]);

/** The one about to hold a client's secret still may (the command line, `cli`, is no person). */
const assertTakerMayHold = (tx: Queryable, by: ChangedBy, companyId: string | null) => (by.actorId === 'cli' ? Promise.resolve() : assertStillMaster(tx, by.actorId, companyId));

/**
 * Whoever holds a client's secret may still hold it: they qualify (holderQualifies), and
 * their hold never ended since they set the secret. A client's secret gives a Master's
 * rights, so a Master demoted, deactivated or deleted does not keep them through the
 * secret they took away (as an identity provider's API tokens end with the admin who made
 * them). Nor do they get them back by being made a Master again or reactivated: the end
 * is recorded when it happens (endSecretHolds), and only a rotation clears it, the
 * rotator taking the secret over.
 */
const holderMayHold = (eb: ExpressionBuilder<Database, 'api_clients'>) => eb.and([eb('api_clients.hold_ended_at', 'is', null), holderQualifies(eb)]);

/**
 * Records, at the moment it happens, that `userId` may no longer hold the secrets they
 * hold: called in the transaction of every change that can take that away (a role
 * change, a deactivation, a deletion: src/users/roles.ts, lifecycle.ts), after the change
 * and before its audit event. Marks only the clients whose holder no longer qualifies, so
 * a change that leaves them a Master (a promotion) marks nothing. Returns what the change's
 * audit event adds to its detail (stoppedClientsDetail).
 */
export async function endSecretHolds(tx: Queryable, now: number, userId: string): Promise<StoppedClientsDetail> {
  const ended = await tx
    .updateTable('api_clients')
    .set({ hold_ended_at: now })
    .where('secret_holder', '=', userId)
    .where('hold_ended_at', 'is', null)
    .where('deleted_at', 'is', null)
    .where((eb) => eb.not(holderQualifies(eb)))
    .returning(['client_id', 'name'])
    .execute();
  return stoppedClientsDetail(ended.map((row) => ({ clientId: row.client_id, name: row.name })));
}

/** Spread into an audit event's detail (a type alias: an interface is no Record<string, unknown>). */
export type StoppedClientsDetail = { apiClientsStopped?: Array<{ clientId: string; name: string }> };

/**
 * How the trail names the clients a change stopped, the one place: their client ids and
 * names, in the event of the change that stopped them (a demotion, a deactivation, a
 * deletion), so an operator reading it sees which integrations broke and why, after the
 * client is deleted too. Nothing when none was stopped.
 */
function stoppedClientsDetail(stopped: Array<{ clientId: string; name: string }>): StoppedClientsDetail {
  if (stopped.length === 0) return {};
  return { apiClientsStopped: stopped.sort((a, b) => a.name.localeCompare(b.name) || a.clientId.localeCompare(b.clientId)) };
}

/**
 * A client that still stands: not deleted, not expired, its secret held by someone who
 * still may (holderMayHold). What it asked a second Master for stands only as long
 * (src/users/two-factor-reset.ts, requesterMayAsk).
 */
export const standingApiClient = (now: number) => (eb: ExpressionBuilder<Database, 'api_clients'>) =>
  eb.and([
    eb('api_clients.deleted_at', 'is', null),
    eb.or([eb('api_clients.expires_at', 'is', null), eb('api_clients.expires_at', '>', now)]),
    holderMayHold(eb),
  ]);

/**
 * A client at work: a standing one (standingApiClient), and a company's client only while
 * its company is active and not the platform. Suspending a company stops its clients: no
 * new tokens while it lasts, and the tokens they held are ended for good
 * (endCompanyClientTokens); reactivating it lets them get new ones. Platform clients act
 * on suspended companies, as operators do. The one rule the token endpoint
 * (findLiveApiClient) and every /api/v1 request (useApiClient) hold to.
 */
export const liveApiClient = (now: number) => (eb: ExpressionBuilder<Database, 'api_clients'>) =>
  eb.and([
    standingApiClient(now)(eb),
    eb.or([
      eb('api_clients.company_id', 'is', null),
      eb.exists(
        eb
          .selectFrom('companies')
          .select('companies.id')
          .whereRef('companies.id', '=', 'api_clients.company_id')
          .where('companies.status', '=', 'active')
          .where('companies.is_platform', '=', 0),
      ),
    ]),
  ]);

/**
 * Ends every token a company's clients hold, in the transaction that suspends it
 * (companies/suspension.ts). Ended, not held: a company is suspended when it is
 * compromised, too, and a token an intruder got with a stolen secret must not work again
 * on reactivation. The clients themselves stay; reactivated, they get new tokens.
 */
export async function endCompanyClientTokens(tx: Queryable, companyId: string): Promise<void> {
  await revokeClientCredentials(tx, tx.selectFrom('api_clients').select('client_id').where('company_id', '=', companyId));
}

/** The client the provider may issue tokens to: a live one (liveApiClient). */
export async function findLiveApiClient(db: Queryable, clientId: string, now: number): Promise<ApiClientRow | undefined> {
  return db.selectFrom('api_clients').selectAll().where('client_id', '=', clientId).where(liveApiClient(now)).executeTakeFirst();
}

// Module rows and company grants. A module is an OpenID Connect client registered by an
// operator; its secret is shown once and stored as a keyed hash.
import { keyedHash, newId, randomToken } from '../crypto/index.ts';
import { GatehouseError } from '../errors.ts';
import type { Queryable } from '../storage/index.ts';
import { fixedQuery } from '../shared/fixed-query.ts';
import { settingsVersion } from '../shared/settings-version.ts';
import type { Selectable } from 'kysely';
import type { ModulesTable } from '../storage/schema.ts';
import { redirectUriProblem } from './redirect-uris.ts';
import { endModuleAccess } from './backchannel/end-access.ts';

export type ModuleRow = Selectable<ModulesTable>;

/** What an operator sets on a module, at registration and at every edit alike. */
export interface ModuleSettings {
  name: string;
  description: string;
  logoUrl?: string | undefined;
  launchUrl: string;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  backchannelLogoutUri?: string | undefined;
  /** Algorithm of the module's ID tokens; RS256 unless the module asks for ES256. */
  idTokenAlg?: 'RS256' | 'ES256' | undefined;
}

/** A module to register: its settings and, for good, its client type. */
export interface ModuleInput extends ModuleSettings {
  clientType: 'confidential' | 'public';
}

/** The settings as their columns; a field left out takes its registration default. */
function settingsColumns(input: ModuleSettings) {
  return {
    name: input.name,
    description: input.description,
    logo_url: input.logoUrl ?? null,
    launch_url: input.launchUrl,
    redirect_uris: JSON.stringify(input.redirectUris),
    post_logout_redirect_uris: JSON.stringify(input.postLogoutRedirectUris),
    backchannel_logout_uri: input.backchannelLogoutUri ?? null,
    id_token_alg: input.idTokenAlg ?? 'RS256',
  };
}
type SettingsColumns = ReturnType<typeof settingsColumns>;

/** The fields of the contract (moduleBody), by column, as an edit's audit event names them. */
const SETTINGS_FIELDS: Record<keyof SettingsColumns, string> = {
  name: 'name',
  description: 'description',
  logo_url: 'logoUrl',
  launch_url: 'launchUrl',
  redirect_uris: 'redirectUris',
  post_logout_redirect_uris: 'postLogoutRedirectUris',
  backchannel_logout_uri: 'backchannelLogoutUri',
  id_token_alg: 'idTokenAlg',
};

/**
 * The version of what a module's form edits (src/shared/settings-version.ts): its settings
 * and its client type, not its secret, which Rotate Secret changes on its own.
 */
export function moduleVersion(row: ModuleRow): string {
  const settings = Object.fromEntries(Object.keys(SETTINGS_FIELDS).map((column) => [column, row[column as keyof SettingsColumns]]));
  return settingsVersion({ ...settings, client_type: row.client_type });
}

function checkUris(input: ModuleSettings): void {
  const fields: Record<string, string> = {};
  input.redirectUris.forEach((uri, i) => {
    const problem = redirectUriProblem(uri);
    if (problem) fields[`redirectUris.${i}`] = `Redirect URI ${problem}.`;
  });
  input.postLogoutRedirectUris.forEach((uri, i) => {
    const problem = redirectUriProblem(uri);
    if (problem) fields[`postLogoutRedirectUris.${i}`] = `Post-logout URI ${problem}.`;
  });
  for (const [key, uri] of [['launchUrl', input.launchUrl], ['logoUrl', input.logoUrl], ['backchannelLogoutUri', input.backchannelLogoutUri]] as const) {
    const problem = uri ? redirectUriProblem(uri) : undefined;
    if (problem) fields[key] = `URL ${problem}.`;
  }
  if (input.redirectUris.length === 0) fields.redirectUris = 'Add at least one redirect URI.';
  if (Object.keys(fields).length > 0) throw new GatehouseError('request.invalid', { fields });
}

export async function registerModule(db: Queryable, secretKey: Buffer, input: ModuleInput, now: number) {
  checkUris(input);
  const clientSecret = input.clientType === 'confidential' ? randomToken() : undefined;
  const row = {
    id: newId(),
    client_id: `gh_${randomToken().slice(0, 22)}`,
    ...settingsColumns(input),
    client_type: input.clientType,
    secret_hash: clientSecret ? keyedHash(secretKey, clientSecret) : null,
    created_at: now,
  };
  const module: ModuleRow = await db.insertInto('modules').values(row).returningAll().executeTakeFirstOrThrow();
  return { module, clientSecret };
}

/**
 * A module's settings replaced by `input`, checked as at registration: its row as it was
 * and as it is now, and the fields (the contract's names) that changed; none changed, nothing
 * is written. The row is locked first (a write that changes nothing), so `mayChange` (the
 * caller's checks on the row: its version, its client type) sees the row the write replaces,
 * and a concurrent edit waits rather than being overwritten unseen. Undefined: no such module.
 */
export async function updateModule(db: Queryable, moduleId: string, input: ModuleSettings, mayChange: (current: ModuleRow) => void) {
  checkUris(input);
  const before = await db.updateTable('modules').set((eb) => ({ id: eb.ref('id') })).where('id', '=', moduleId).returningAll().executeTakeFirst();
  if (!before) return undefined;
  mayChange(before);
  const columns = settingsColumns(input);
  const changed = (Object.keys(columns) as (keyof SettingsColumns)[]).filter((column) => columns[column] !== before[column]);
  if (changed.length === 0) return { before, after: before, changed: [] };
  const after: ModuleRow = await db.updateTable('modules').set(columns).where('id', '=', moduleId).returningAll().executeTakeFirstOrThrow();
  return { before, after, changed: changed.map((column) => SETTINGS_FIELDS[column]) };
}

/** A new secret for a confidential module; the old one stops working at once. */
export async function rotateModuleSecret(db: Queryable, secretKey: Buffer, moduleId: string) {
  const clientSecret = randomToken();
  const result = await db
    .updateTable('modules')
    .set({ secret_hash: keyedHash(secretKey, clientSecret) })
    .where('id', '=', moduleId)
    .where('client_type', '=', 'confidential')
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) !== 1) throw new GatehouseError('request.not_found');
  return clientSecret;
}

export async function listModules(db: Queryable) {
  return db.selectFrom('modules').selectAll().orderBy('name').execute();
}

export async function getModule(db: Queryable, moduleId: string) {
  return db.selectFrom('modules').selectAll().where('id', '=', moduleId).executeTakeFirst();
}

// Every token request looks its client up (a rotated or deleted secret must end at once
// on every node, so it is read, never cached): compiled once (fixed-query.ts).
const moduleByClientId = fixedQuery((db, clientId: string) => db.selectFrom('modules').selectAll().where('client_id', '=', clientId));

export async function findModuleByClientId(db: Queryable, clientId: string) {
  return (await moduleByClientId(db, clientId))[0];
}

/** Operators grant a module to a company (enabled by default). Idempotent. */
/** False when the module was granted to the company already (nothing changes). */
export async function grantModule(db: Queryable, companyId: string, moduleId: string, now: number): Promise<boolean> {
  const granted = await db
    .insertInto('company_modules')
    .values({ company_id: companyId, module_id: moduleId, enabled: 1, granted_at: now })
    .onConflict((oc) => oc.columns(['company_id', 'module_id']).doNothing())
    .returning('module_id')
    .executeTakeFirst();
  return granted !== undefined;
}

/**
 * The company may no longer use the module: its users' grants and tokens for it end, and
 * the module is told (in the caller's transaction).
 */
async function endCompanyModuleAccess(db: Queryable, companyId: string, moduleId: string, now: number, reason: string) {
  const module = await db.selectFrom('modules').select('client_id').where('id', '=', moduleId).executeTakeFirst();
  if (module) await endModuleAccess(db, now, { companyId, clientId: module.client_id }, reason);
}

/** False when the module was not granted to the company. */
export async function revokeModuleGrant(db: Queryable, companyId: string, moduleId: string, now: number): Promise<boolean> {
  const revoked = await db.deleteFrom('company_modules').where('company_id', '=', companyId).where('module_id', '=', moduleId).executeTakeFirst();
  if (Number(revoked.numDeletedRows) === 0) return false;
  await endCompanyModuleAccess(db, companyId, moduleId, now, 'module_revoked');
  return true;
}

/** A company's Masters switch a granted module on or off; false when not granted. */
/**
 * Switches a granted module on or off for the company: 'not_granted' (nothing to switch),
 * 'unchanged' (it already was: nothing written, ended or audited) or 'changed'. A stale
 * page or a retried call must not record a switch that did not happen.
 */
export async function setModuleEnabled(db: Queryable, companyId: string, moduleId: string, enabled: boolean, now: number): Promise<'not_granted' | 'unchanged' | 'changed'> {
  const result = await db
    .updateTable('company_modules')
    .set({ enabled: enabled ? 1 : 0 })
    .where('company_id', '=', companyId)
    .where('module_id', '=', moduleId)
    .where('enabled', '!=', enabled ? 1 : 0)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) === 1) {
    if (!enabled) await endCompanyModuleAccess(db, companyId, moduleId, now, 'module_switched_off');
    return 'changed';
  }
  const granted = await db.selectFrom('company_modules').select('module_id').where('company_id', '=', companyId).where('module_id', '=', moduleId).executeTakeFirst();
  return granted ? 'unchanged' : 'not_granted';
}

/** Modules granted to a company, with whether its Masters have them switched on. */
export async function companyModules(db: Queryable, companyId: string) {
  return db
    .selectFrom('company_modules')
    .innerJoin('modules', 'modules.id', 'company_modules.module_id')
    .select([
      'modules.id as id',
      'modules.client_id as clientId',
      'modules.name as name',
      'modules.description as description',
      'modules.logo_url as logoUrl',
      'modules.launch_url as launchUrl',
      'company_modules.enabled as enabled',
    ])
    .where('company_modules.company_id', '=', companyId)
    .orderBy('modules.name')
    .execute();
}

/** May users of this company sign in to this client? */
export async function companyMayUse(db: Queryable, companyId: string, clientId: string): Promise<boolean> {
  const row = await db
    .selectFrom('company_modules')
    .innerJoin('modules', 'modules.id', 'company_modules.module_id')
    .select('company_modules.enabled')
    .where('company_modules.company_id', '=', companyId)
    .where('modules.client_id', '=', clientId)
    .executeTakeFirst();
  return row?.enabled === 1;
}

// Changes to modules that people and API clients make, each in one transaction with its
// audit event: registering a module, editing it and rotating its secret, granting it to a company and
// taking it away (operators, platform API clients), switching a company's module on or
// off (its Masters, its API client). The trail names who did it; a client secret never
// goes into it. A company's grants are read here too, under the grants' own check.
import { recordAudit, type AuditEvent } from '../audit/index.ts';
import { assertThat, GatehouseError } from '../errors.ts';
import { assertVersionRead, type ReadAt } from '../shared/settings-version.ts';
import type { CoreDeps } from '../shared/deps.ts';
import type { Queryable } from '../storage/index.ts';
import {
  companyModules,
  getModule,
  grantModule,
  moduleVersion,
  registerModule,
  revokeModuleGrant,
  rotateModuleSecret,
  setModuleEnabled,
  updateModule,
  type ModuleInput,
  type ModuleRow,
  type ModuleSettings,
} from './store.ts';

/** Who changed a module, as the audit trail names them (a person or an API client). */
export type ModuleChangeBy = Pick<AuditEvent, 'actorId' | 'actorClientId' | 'ip' | 'userAgent'> & { named: Record<string, unknown> };

function eventBy(by: ModuleChangeBy, companyId: string | null, action: string, moduleId: string, detail: Record<string, unknown>): AuditEvent {
  const { named, ...actor } = by;
  return { ...actor, companyId, action, target: moduleId, detail: { ...detail, ...named } };
}

/** A new module; its client secret (confidential clients) is answered this once. */
export async function registerModuleBy(deps: CoreDeps, input: ModuleInput, by: ModuleChangeBy) {
  return deps.db.transaction().execute(async (tx) => {
    const now = deps.clock();
    const registered = await registerModule(tx, deps.deriveKey('client-secrets'), input, now);
    const { module } = registered;
    await recordAudit(tx, now, eventBy(by, null, 'module.registered', module.id, { clientId: module.client_id, module: module.name }));
    return registered;
  });
}

/** An edit: the module's settings, and its client type only as it is. */
export type ModuleEdit = ModuleSettings & { clientType?: ModuleInput['clientType'] | undefined };

/**
 * A module keeps the client type it was registered with. A confidential module's secret, its
 * client credentials tokens and its refresh tokens were issued on the secret; a public one
 * signs in with PKCE alone. Switched in place, the module's own configuration (which holds
 * a secret or does not) would stop matching what it is, and its tokens would outlive the
 * reason they were issued under.
 */
const KEEPS_CLIENT_TYPE = 'A module keeps its client type: its secret (or its lack of one) and the tokens issued on it go with it. Register a new module of the other type instead.';

/**
 * Edits a module, in one transaction with its audit event `module.updated` naming the
 * fields changed; an edit that changes nothing is neither written nor audited. `readAt`
 * (If-Match) refuses it (412) when the module changed since the form read it. Nothing
 * issued is ended: the provider reads the module afresh on every request (clients.ts), so
 * the next authorization, ID token and logout notice follow the new settings on every node,
 * while the tokens and sign-ins already made go on.
 */
export async function updateModuleBy(deps: CoreDeps, moduleId: string, input: ModuleEdit, by: ModuleChangeBy, readAt?: ReadAt): Promise<ModuleRow> {
  return deps.db.transaction().execute(async (tx) => {
    const edited = await updateModule(tx, moduleId, input, (current) => {
      assertVersionRead(readAt, moduleVersion(current));
      if (input.clientType !== undefined && input.clientType !== current.client_type) {
        throw new GatehouseError('request.invalid', { fields: { clientType: KEEPS_CLIENT_TYPE } });
      }
    });
    assertThat(edited, 'request.not_found');
    const { after, changed } = edited;
    if (changed.length > 0) {
      await recordAudit(tx, deps.clock(), eventBy(by, null, 'module.updated', moduleId, { clientId: after.client_id, module: after.name, changed }));
    }
    return after;
  });
}

/** A new client secret for a confidential module, answered this once; the old one stops working. */
export async function rotateModuleSecretBy(deps: CoreDeps, moduleId: string, by: ModuleChangeBy): Promise<string> {
  return deps.db.transaction().execute(async (tx) => {
    const now = deps.clock();
    const clientSecret = await rotateModuleSecret(tx, deps.deriveKey('client-secrets'), moduleId);
    const module = await tx.selectFrom('modules').select(['client_id', 'name']).where('id', '=', moduleId).executeTakeFirst();
    assertThat(module, 'request.not_found');
    await recordAudit(tx, now, eventBy(by, null, 'module.secret_rotated', moduleId, { clientId: module.client_id, module: module.name }));
    return clientSecret;
  });
}

/**
 * Whether a company takes grants: one that exists and is not the platform company, whose
 * users are the operators (modules are granted to tenants; the console once granted them
 * to the platform, which /api/v1 refused). Checked here, so both faces answer alike.
 */
async function isGrantee(db: Queryable, companyId: string): Promise<boolean> {
  const company = await db.selectFrom('companies').select('id').where('id', '=', companyId).where('is_platform', '=', 0).executeTakeFirst();
  return company !== undefined;
}

/** The company and the module a grant names: both must exist, or the change is "not found". */
async function grantParties(tx: Queryable, companyId: string, moduleId: string) {
  const grantee = await isGrantee(tx, companyId);
  const module = await getModule(tx, moduleId);
  assertThat(grantee && module, 'request.not_found');
  return module;
}

/** The modules granted to a company, for an operator or an API client; the platform company, like an unknown one, is "not found". */
export async function grantsOf(db: Queryable, companyId: string) {
  assertThat(await isGrantee(db, companyId), 'request.not_found');
  return companyModules(db, companyId);
}

/** Grants a module to a company (once: granting again changes nothing); unknown ids are "not found". */
export async function grantModuleBy(deps: CoreDeps, companyId: string, moduleId: string, by: ModuleChangeBy): Promise<void> {
  await deps.db.transaction().execute(async (tx) => {
    const now = deps.clock();
    const module = await grantParties(tx, companyId, moduleId);
    // Granting what is granted already changes nothing and leaves no event, as a revoke of nothing.
    if (await grantModule(tx, companyId, moduleId, now)) {
      await recordAudit(tx, now, eventBy(by, companyId, 'module.granted', moduleId, { module: module.name }));
    }
  });
}

/**
 * Takes a module away from a company: its users' sign-ins to it end, and the module is
 * told. Unknown ids are "not found", as for a grant; revoking what was not granted changes
 * nothing and leaves no event in the trail.
 */
export async function revokeModuleGrantBy(deps: CoreDeps, companyId: string, moduleId: string, by: ModuleChangeBy): Promise<void> {
  await deps.db.transaction().execute(async (tx) => {
    const now = deps.clock();
    const module = await grantParties(tx, companyId, moduleId);
    if (await revokeModuleGrant(tx, companyId, moduleId, now)) {
      await recordAudit(tx, now, eventBy(by, companyId, 'module.revoked', moduleId, { module: module.name }));
    }
  });
}

/**
 * A company's Master (or API client) switches one of its granted modules on or off, in
 * one transaction with the trail; switching off ends the users' sign-ins to it; a switch
 * to what it already is changes and records nothing. False when the module is not granted
 * to the company (so another company's is "not found").
 */
export async function switchCompanyModule(db: Queryable, now: number, companyId: string, moduleId: string, enabled: boolean, by: ModuleChangeBy) {
  const outcome = await setModuleEnabled(db, companyId, moduleId, enabled, now);
  if (outcome === 'not_granted') return false;
  if (outcome === 'unchanged') return true;
  const module = await db.selectFrom('modules').select('name').where('id', '=', moduleId).executeTakeFirst();
  await recordAudit(db, now, eventBy(by, companyId, enabled ? 'module.switched_on' : 'module.switched_off', moduleId, { module: module?.name ?? null }));
  return true;
}

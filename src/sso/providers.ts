// A company's identity providers, as its Masters set them up: add, edit, remove (switching
// on, the mode and the break-glass users: settings.ts). Every change is audited in its
// own transaction; every lookup is scoped by the company from the session.
import type { Selectable } from 'kysely';
import type { z } from 'zod';
import { recordAudit } from '../audit/index.ts';
import type { ssoProviderBody } from '../contract/sso.ts';
import { describeCertificate, newId } from '../crypto/index.ts';
import { GatehouseError } from '../errors.ts';
import { endFederatedLogins } from '../login/index.ts';
import type { CoreDeps, RequestMeta } from '../shared/deps.ts';
import { assertVersionRead, settingsVersion, type ReadAt } from '../shared/settings-version.ts';
import { providerUrlProblem } from './provider-urls.ts';
import type { Queryable } from '../storage/index.ts';
import type { SsoProvidersTable } from '../storage/schema.ts';
import { parseIdpMetadata, toPem, type IdpSettings } from './metadata.ts';
import { discoverProvider } from './oidc.ts';
import { queueCompanyNotice } from '../users/security-notices.ts';
import { heldUpTo, lockedRoomFor } from '../users/company-totals.ts';

export type ProviderRow = Selectable<SsoProvidersTable>;
export type ProviderInput = z.output<typeof ssoProviderBody>;
export interface Master {
  companyId: string;
  userId: string;
}



export const secretContext = (providerId: string) => `sso-oidc:${providerId}`;

export async function getProvider(db: Queryable, companyId: string, providerId: string) {
  return db.selectFrom('sso_providers').selectAll().where('company_id', '=', companyId).where('id', '=', providerId).executeTakeFirst();
}

export async function requireProvider(db: Queryable, companyId: string, providerId: string) {
  const row = await getProvider(db, companyId, providerId);
  if (!row) throw new GatehouseError('request.not_found');
  return row;
}

export function certificatesOf(row: ProviderRow): string[] {
  return row.saml_certs ? (JSON.parse(row.saml_certs) as string[]) : [];
}

export function describeProvider(row: ProviderRow) {
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    version: providerVersion(row),
    id: row.id,
    kind: row.kind,
    name: row.name,
    enabled: row.enabled === 1,
    usernameAttribute: row.username_attribute,
    groupsAttribute: row.groups_attribute,
    trustProviderMfa: row.trust_provider_mfa === 1,
    testedAt: row.tested_at === null ? null : iso(row.tested_at),
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
    saml:
      row.kind === 'saml'
        ? {
            entityId: row.saml_entity_id ?? '',
            ssoUrl: row.saml_sso_url ?? '',
            certificates: certificatesOf(row).map((pem) => describeCertificate(pem) ?? { subject: '(unreadable)', notAfter: '', fingerprint: '' }),
          }
        : null,
    oidc: row.kind === 'oidc' ? { issuer: row.oidc_issuer ?? '', clientId: row.oidc_client_id ?? '', hasClientSecret: row.oidc_client_secret !== null } : null,
  };
}

/**
 * The version of what the provider's form edits (src/shared/settings-version.ts): its
 * settings and its stored secret, not whether it is on or tested, which other buttons change.
 */
function providerVersion(row: ProviderRow): string {
  const { kind, name, username_attribute, groups_attribute, trust_provider_mfa, saml_entity_id, saml_sso_url, oidc_issuer, oidc_client_id, oidc_client_secret } = row;
  const settings = { kind, name, username_attribute, groups_attribute, trust_provider_mfa, saml_entity_id, saml_sso_url, oidc_issuer, oidc_client_id, oidc_client_secret };
  return settingsVersion({ ...settings, certificates: certificatesOf(row) });
}

/**
 * `before`, the provider being edited: certificates neither sent nor in pasted metadata are
 * the stored ones, as the console's dialog says ("leave empty to keep"), since it cannot
 * show them to send back. They are public keys, so keeping them gives nobody anything; an
 * edit that points the provider elsewhere only fails closed until the new key is given.
 */
async function samlSettings(input: Extract<ProviderInput, { kind: 'saml' }>, before: ProviderRow | undefined): Promise<IdpSettings> {
  const fromMetadata = input.metadataXml?.trim() ? await parseIdpMetadata(input.metadataXml) : undefined;
  const entityId = input.entityId ?? fromMetadata?.entityId;
  const ssoUrl = input.ssoUrl ?? fromMetadata?.ssoUrl;
  const sent = input.certificates?.length ? input.certificates.map((certificate) => toPem(certificate)) : fromMetadata?.certificates;
  const certificates = sent?.length ? sent : before ? certificatesOf(before) : [];
  // An SSO URL from the metadata is refused under it, naming where it was (as metadata.ts does).
  const [ssoUrlField, ssoUrlLabel] = input.ssoUrl ? ['ssoUrl', 'SSO URL'] : ['metadataXml', "The metadata's SingleSignOnService Location: SSO URL"];
  const fields: Record<string, string> = {};
  if (!entityId) fields.entityId = 'Entity ID is required (or paste the metadata XML).';
  if (!ssoUrl) fields.ssoUrl = 'SSO URL is required (or paste the metadata XML).';
  else if (providerUrlProblem(ssoUrl)) fields[ssoUrlField] = `${ssoUrlLabel} ${providerUrlProblem(ssoUrl)}.`;
  if (certificates.length === 0) fields.certificates = 'A signing certificate is required (or paste the metadata XML).';
  if (Object.keys(fields).length > 0) throw new GatehouseError('request.invalid', { fields });
  return { entityId: entityId as string, ssoUrl: ssoUrl as string, certificates: certificates.slice(0, 2) };
}

/** The columns a form's values become (the OIDC issuer is checked by discovery). */
async function columnsFor(deps: CoreDeps, providerId: string, input: ProviderInput, before: ProviderRow | undefined) {
  const shared = {
    name: input.name,
    username_attribute: input.usernameAttribute,
    groups_attribute: input.groupsAttribute || null,
    trust_provider_mfa: input.trustProviderMfa ? 1 : 0,
  };
  if (input.kind === 'saml') {
    const idp = await samlSettings(input, before);
    return { ...shared, saml_entity_id: idp.entityId, saml_sso_url: idp.ssoUrl, saml_certs: JSON.stringify(idp.certificates) };
  }
  const problem = providerUrlProblem(input.issuer);
  if (problem) throw new GatehouseError('request.invalid', { fields: { issuer: `Issuer URL ${problem}.` } });
  const secret = input.clientSecret?.length ? input.clientSecret : undefined;
  if (!secret && !before?.oidc_client_secret) throw new GatehouseError('request.invalid', { fields: { clientSecret: 'Client secret is required.' } });
  // The stored secret is kept only for the issuer and client it was given for: pointed at
  // another issuer, the provider would hand it to that issuer's token endpoint at the next
  // sign-in, and the console never shows it to whoever edits the settings.
  if (!secret && (before?.oidc_issuer !== input.issuer || before?.oidc_client_id !== input.clientId)) {
    throw new GatehouseError('request.invalid', { fields: { clientSecret: 'Enter the client secret again: the issuer or client ID changed.' } });
  }
  const clientSecret = secret ?? deps.secrets.decrypt(before?.oidc_client_secret as string, secretContext(providerId));
  await discoverProvider({ issuer: input.issuer, clientId: input.clientId, clientSecret, privateNetworks: deps.config.ssoPrivateNetworks });
  return {
    ...shared,
    oidc_issuer: input.issuer,
    oidc_client_id: input.clientId,
    oidc_client_secret: secret ? deps.secrets.encrypt(secret, secretContext(providerId)) : (before?.oidc_client_secret as string),
  };
}

/** What an audit entry keeps of a provider's settings (never the client secret). */
const auditView = (row: ProviderRow) => ({
  provider: row.id,
  kind: row.kind,
  name: row.name,
  ...(row.kind === 'saml' ? { entityId: row.saml_entity_id, certificates: certificatesOf(row).map((pem) => describeCertificate(pem)?.fingerprint) } : { issuer: row.oidc_issuer, clientId: row.oidc_client_id }),
  usernameAttribute: row.username_attribute,
  groupsAttribute: row.groups_attribute,
  trustProviderMfa: row.trust_provider_mfa === 1,
});

export async function audit(tx: Queryable, deps: CoreDeps, who: Master, action: string, meta: RequestMeta, detail: Record<string, unknown>) {
  await recordAudit(tx, deps.clock(), { companyId: who.companyId, actorId: who.userId, action, target: (detail.provider as string) ?? null, ip: meta.ip, userAgent: meta.userAgent, detail });
}

/**
 * A new provider, within the company's total (GATEHOUSE_SSO_PROVIDERS_PER_COMPANY, or
 * sso_provider.too_many). Read once before the settings are checked, so a company at its
 * total sends no discovery request for nothing; decided in the insert's transaction, with
 * the company's row locked (lockedRoomFor), so adds racing for the last slot take turns.
 */
export async function addProvider(deps: CoreDeps, who: Master, input: ProviderInput, meta: RequestMeta) {
  const total = deps.config.companyTotals.ssoProviders;
  if ((await heldUpTo(deps.db, 'sso_providers', who.companyId, total)) >= total) throw new GatehouseError('sso_provider.too_many');
  const id = newId();
  const columns = await columnsFor(deps, id, input, undefined);
  const now = deps.clock();
  const added = await deps.db.transaction().execute(async (tx) => {
    if (!(await lockedRoomFor(tx, 'sso_providers', who.companyId, total))) throw new GatehouseError('sso_provider.too_many');
    const row = await tx
      .insertInto('sso_providers')
      .values({
        id,
        company_id: who.companyId,
        kind: input.kind,
        enabled: 0,
        saml_entity_id: null,
        saml_sso_url: null,
        saml_certs: null,
        oidc_issuer: null,
        oidc_client_id: null,
        oidc_client_secret: null,
        tested_at: null,
        created_at: now,
        updated_at: now,
        ...columns,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await audit(tx, deps, who, 'sso.provider_added', meta, auditView(row));
    // A provider can come to vouch for any user: every Master is told (security-notices.ts).
    await queueCompanyNotice(deps, tx, who, 'sso_provider_added', row.name);
    return describeProvider(row);
  });
  deps.mailQueued();
  return added;
}

/**
 * The form's fields, by the column each fills, and how a notice names them (Gatehouse's
 * own words). The client secret is compared decrypted: its ciphertext differs every time.
 */
const FIELDS = {
  name: ['name', 'name'],
  username_attribute: ['usernameAttribute', 'username attribute'],
  groups_attribute: ['groupsAttribute', 'groups attribute'],
  trust_provider_mfa: ['trustProviderMfa', "trust in the provider's MFA"],
  saml_entity_id: ['entityId', 'entity ID'],
  saml_sso_url: ['ssoUrl', 'SSO URL'],
  saml_certs: ['certificates', 'signing certificates'],
  oidc_issuer: ['issuer', 'issuer URL'],
  oidc_client_id: ['clientId', 'client ID'],
} as const satisfies Partial<Record<keyof ProviderRow, readonly [string, string]>>;
const CLIENT_SECRET = ['clientSecret', 'client secret'] as const;

type Columns = Awaited<ReturnType<typeof columnsFor>>;

/** The fields a save changes, as [field, words] pairs, against the row as it is now. */
function changedFields(deps: CoreDeps, current: ProviderRow, columns: Columns, input: ProviderInput) {
  const changed = Object.entries(FIELDS)
    .filter(([column]) => column in columns && columns[column as keyof Columns] !== current[column as keyof ProviderRow])
    .map(([, field]) => field);
  const secret = input.kind === 'oidc' && input.clientSecret?.length ? input.clientSecret : undefined;
  const stored = current.oidc_client_secret === null ? null : deps.secrets.decrypt(current.oidc_client_secret, secretContext(current.id));
  return secret !== undefined && secret !== stored ? [...changed, CLIENT_SECRET] : changed;
}

/**
 * New settings need a new Test sign-in before the provider can be switched on again; a
 * provider already on stays on (a certificate rollover must not cut sign-in off). Only a
 * save that changes something is written, audited and told, naming the fields it changed
 * (never the secret's value): the console sends the whole form each time, and a save that
 * changes nothing keeps the Test sign-in and tells no one.
 */
/** Saves a provider's settings; `readAt` (If-Match) refuses the save if they changed since the form read them. */
export async function editProvider(deps: CoreDeps, who: Master, providerId: string, input: ProviderInput, meta: RequestMeta, readAt?: ReadAt) {
  const before = await requireProvider(deps.db, who.companyId, providerId);
  if (before.kind !== input.kind) throw new GatehouseError('request.invalid', { fields: { kind: 'A provider keeps its kind; add a new one instead.' } });
  const columns = await columnsFor(deps, providerId, input, before);
  const edited = await deps.db.transaction().execute(async (tx) => {
    // The row as it is now, locked (a write that changes nothing), so a concurrent edit is
    // compared against, not overwritten unseen.
    const current = await tx
      .updateTable('sso_providers')
      .set((eb) => ({ updated_at: eb.ref('updated_at') }))
      .where('company_id', '=', who.companyId)
      .where('id', '=', providerId)
      .returningAll()
      .executeTakeFirst();
    if (!current) throw new GatehouseError('request.not_found');
    assertVersionRead(readAt, providerVersion(current));
    const changed = changedFields(deps, current, columns, input);
    if (changed.length === 0) return describeProvider(current);
    // A secret not changed stays as stored (its ciphertext too).
    const kept = input.kind === 'oidc' && !changed.includes(CLIENT_SECRET) ? { oidc_client_secret: current.oidc_client_secret } : {};
    const row = await tx
      .updateTable('sso_providers')
      .set({ ...columns, ...kept, tested_at: null, updated_at: deps.clock() })
      .where('company_id', '=', who.companyId)
      .where('id', '=', providerId)
      .returningAll()
      .executeTakeFirstOrThrow();
    await audit(tx, deps, who, 'sso.provider_changed', meta, {
      ...auditView(row),
      changed: changed.map(([field]) => field),
      clientSecretChanged: changed.includes(CLIENT_SECRET),
    });
    await queueCompanyNotice(deps, tx, who, 'sso_provider_changed', row.name, false, changed.map(([, words]) => words).join(', '));
    // Requests sent under the settings replaced (a Test sign-in under way, logins sent to the
    // old address) are withdrawn: an answer to one must not mark the new settings tested,
    // nor sign anyone in, whatever the nodes' clocks say (sign-in.ts takes the request first).
    await tx.deleteFrom('sso_requests').where('company_id', '=', who.companyId).where('provider_id', '=', providerId).execute();
    // Logins it vouched for and not yet finished were decided by the settings replaced.
    if (row.enabled === 1) await endFederatedLogins(tx, who.companyId);
    return describeProvider(row);
  });
  deps.mailQueued();
  return edited;
}

export async function removeProvider(deps: CoreDeps, who: Master, providerId: string, meta: RequestMeta) {
  await deps.db.transaction().execute(async (tx) => {
    const row = await requireProvider(tx, who.companyId, providerId);
    await tx.deleteFrom('sso_requests').where('company_id', '=', who.companyId).where('provider_id', '=', providerId).execute();
    if (row.enabled === 1) await endFederatedLogins(tx, who.companyId);
    await tx.deleteFrom('sso_assertions').where('provider_id', '=', providerId).execute();
    await tx.deleteFrom('sso_providers').where('company_id', '=', who.companyId).where('id', '=', providerId).execute();
    await audit(tx, deps, who, 'sso.provider_removed', meta, auditView(row));
  });
}

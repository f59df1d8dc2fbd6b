// Whether and how a company signs in through its provider: switching one on (at most one
// at a time, only after a successful Test sign-in with the settings as they are, and only
// while a break-glass Master keeps a password and 2FA), the mode, the break-glass users,
// and the overview the Company page shows.
import type { z } from 'zod';
import type { ssoSettingsBody } from '../contract/sso.ts';
import { GatehouseError } from '../errors.ts';
import { endFederatedLogins } from '../login/index.ts';
import type { CoreDeps, RequestMeta } from '../shared/deps.ts';
import { assertVersionRead, settingsVersion, type ReadAt } from '../shared/settings-version.ts';
import type { Queryable } from '../storage/index.ts';
import { breakGlassReady, lockCompanyForBreakGlass } from '../users/index.ts';
import { audit, describeProvider, requireProvider, type Master } from './providers.ts';
import { serviceProviderUrls } from './urls.ts';
import { queueCompanyNotice } from '../users/security-notices.ts';

export type SsoSettingsInput = z.output<typeof ssoSettingsBody>;

export async function switchProvider(deps: CoreDeps, who: Master, providerId: string, enabled: boolean, meta: RequestMeta) {
  const switched = await deps.db.transaction().execute(async (tx) => {
    // The same lock as every change to the break-glass users (src/users/break-glass.ts).
    await lockCompanyForBreakGlass(tx, who.companyId);
    const row = await requireProvider(tx, who.companyId, providerId);
    if (enabled) {
      if (row.tested_at === null) throw new GatehouseError('sso.not_tested');
      if (!(await breakGlassReady(tx, who.companyId))) throw new GatehouseError('sso.break_glass_required');
      // One provider at a time: the login page sends everyone to exactly one place.
      await tx.updateTable('sso_providers').set({ enabled: 0 }).where('company_id', '=', who.companyId).where('id', '!=', providerId).execute();
    }
    const updated = await tx
      .updateTable('sso_providers')
      .set({ enabled: enabled ? 1 : 0 })
      .where('company_id', '=', who.companyId)
      .where('id', '=', providerId)
      .returningAll()
      .executeTakeFirstOrThrow();
    // Sign-ins sent to a provider now off are over (its answers are refused too, sign-in.ts):
    // switched on again later, it does not take answers to requests from before. Nor to
    // one a sign-in saved just after a switch-off deleted the others (it had found the
    // provider on a moment before): a provider off is sent no one, so whatever it has
    // pending as it is switched on is such a late one, and goes too.
    const switchedOn = enabled && row.enabled === 0;
    await tx
      .deleteFrom('sso_requests')
      .where('company_id', '=', who.companyId)
      .where('purpose', '=', 'login')
      .where((eb) =>
        eb.or([
          eb('provider_id', 'in', eb.selectFrom('sso_providers').select('id').where('company_id', '=', who.companyId).where('enabled', '=', 0)),
          ...(switchedOn ? [eb('provider_id', '=', providerId)] : []),
        ]),
      )
      .execute();
    if ((row.enabled === 1) !== enabled) {
      // Logins a provider vouched for and not yet finished end with it (or with the one
      // this switch-on turned off).
      await endFederatedLogins(tx, who.companyId);
      await audit(tx, deps, who, enabled ? 'sso.enabled' : 'sso.disabled', meta, { provider: row.id, name: row.name });
      // From now on the provider vouches for the company's users: every Master is told.
      if (enabled) await queueCompanyNotice(deps, tx, who, 'sso_provider_enabled', row.name);
    }
    return describeProvider(updated);
  });
  deps.mailQueued();
  return switched;
}

/** The company's settings the SSO form edits as a whole: what its version is made of. */
async function ssoSettingsOf(db: Queryable, companyId: string) {
  const [company, breakGlass] = await Promise.all([
    db.selectFrom('companies').select('sso_mode').where('id', '=', companyId).executeTakeFirstOrThrow(),
    db.selectFrom('users').select('id').where('company_id', '=', companyId).where('sso_break_glass', '=', 1).orderBy('username_key').execute(),
  ]);
  return { mode: company.sso_mode, breakGlassUserIds: breakGlass.map((u) => u.id) };
}

/** The version of those settings: of who is break-glass, not of the order their names sort in. */
function ssoSettingsVersion(settings: { mode: string; breakGlassUserIds: string[] }) {
  return settingsVersion({ mode: settings.mode, breakGlassUserIds: [...settings.breakGlassUserIds].sort() });
}

export async function ssoOverview(deps: CoreDeps, companyId: string) {
  const [settings, providers] = await Promise.all([
    ssoSettingsOf(deps.db, companyId),
    deps.db.selectFrom('sso_providers').selectAll().where('company_id', '=', companyId).orderBy('created_at').execute(),
  ]);
  const urls = serviceProviderUrls(deps.config.publicUrl, companyId);
  return {
    ...settings,
    version: ssoSettingsVersion(settings),
    providers: providers.map(describeProvider),
    serviceProvider: { entityId: urls.entityId, metadataUrl: urls.metadataUrl, acsUrl: urls.acsUrl, oidcRedirectUri: urls.oidcRedirectUri },
  };
}

/**
 * Saves the mode and the break-glass users (fields left out keep their value); `readAt`, the
 * versions the saver's form was read at (If-Match), refuses the save if the settings changed since.
 */
export async function changeSsoSettings(deps: CoreDeps, who: Master, input: SsoSettingsInput, meta: RequestMeta, readAt?: ReadAt) {
  await deps.db.transaction().execute(async (tx) => {
    await lockCompanyForBreakGlass(tx, who.companyId);
    const before = await ssoSettingsOf(tx, who.companyId);
    assertVersionRead(readAt, ssoSettingsVersion(before));
    // Only what this save changes is written, audited and told: the console sends the whole
    // form each time, and a Master must not be told "break-glass users changed" when only
    // the mode was.
    const detail: Record<string, unknown> = {};
    if (input.mode !== undefined && input.mode !== before.mode) {
      await tx.updateTable('companies').set({ sso_mode: input.mode }).where('id', '=', who.companyId).execute();
      detail.mode = input.mode;
    }
    if (input.breakGlassUserIds !== undefined) {
      const ids = [...new Set(input.breakGlassUserIds)];
      if (ids.length > 0) {
        // Another company's ids are as unknown as missing ones.
        const found = await tx.selectFrom('users').select('id').where('company_id', '=', who.companyId).where('id', 'in', ids).execute();
        if (found.length !== ids.length) throw new GatehouseError('request.not_found');
      }
      const current = before.breakGlassUserIds;
      const same = current.length === ids.length && current.every((id) => ids.includes(id));
      if (!same) {
        await tx.updateTable('users').set({ sso_break_glass: 0 }).where('company_id', '=', who.companyId).execute();
        if (ids.length > 0) await tx.updateTable('users').set({ sso_break_glass: 1 }).where('company_id', '=', who.companyId).where('id', 'in', ids).execute();
        detail.breakGlassUserIds = ids;
      }
    }
    const on = await tx.selectFrom('sso_providers').select('id').where('company_id', '=', who.companyId).where('enabled', '=', 1).executeTakeFirst();
    if (on && !(await breakGlassReady(tx, who.companyId))) throw new GatehouseError('sso.break_glass_required');
    if (Object.keys(detail).length > 0) {
      await audit(tx, deps, who, 'sso.settings_changed', meta, detail);
      // The mode decides who may still sign in with a password, the break-glass users who
      // keeps one: every Master is told, in Gatehouse's own words.
      const what = [...(detail.mode !== undefined ? [`sign-on mode set to ${input.mode}`] : []), ...(detail.breakGlassUserIds !== undefined ? ['break-glass users changed'] : [])];
      await queueCompanyNotice(deps, tx, who, 'sso_settings_changed', what.join(', '), true);
    }
  });
  deps.mailQueued();
  return ssoOverview(deps, who.companyId);
}

// A secret key lost for good (`gatehouse keys replace-lost-secret`): what the lost key
// sealed, or keyed, is made unusable in a defined way under the new key, so the rest of
// the database (companies, users, passwords, modules, the audit trail) serves again.
//
// What the key protects, and what becomes of it (every `secrets.encrypt` and every
// stored `deriveKey` value; docs/OPERATIONS.md, "A secret key lost for good"):
// - users.totp_secret (sealed): cleared, as a 2FA reset clears it (the app's secret, its
//   replay marker, the recovery codes), and the user's sessions, unfinished logins and
//   module tokens end and the user is told by mail. A user with a passkey or security key
//   keeps it (public keys, not sealed) and signs in with it; one with neither sets up an
//   app after the password at the next login, the path of a new user or of a Master's 2FA
//   reset: no signed-in state is reached before a code proves the new app. A key switched
//   off (a copy of it was seen) signs in no one: a user with no other goes that path too,
//   the dead keys removed as a 2FA reset removes them (kept, they held the user at a code
//   step with nothing left to answer it, the recovery codes gone).
// - recovery_codes (keyed hashes): deleted; none could match any more.
// - login_flows (enroll_secret sealed; a pending flow's name keyed): deleted. Unfinished
//   logins start again.
// - sso_requests (code_verifier sealed): deleted. Sign-ins at a provider start again.
// - sso_providers.oidc_client_secret (sealed): cleared; the provider stays as it was set
//   up, and its sign-ins fail at the provider until a Master enters the secret again.
// - outbox.payload of mail not sent yet (sealed): dropped; the message is marked failed.
// - signing_keys (sealed): replaced, as `keys rotate --now` does (modules' users log in
//   again).
// - modules.secret_hash and api_clients.secret_hash (keyed): left as they are; they match
//   no secret any more (invalid_client) until each is rotated. Listed for the operator.
// Cookies sealed or signed with the lost key (sign-ins in progress, the provider's
// sessions, step-up proofs, list cursors) simply stop opening.
import { recordAudit } from './audit/index.ts';
import type { SecretBox } from './crypto/index.ts';
import { rotateSigningKeysIn } from './modules/index.ts';
import type { CoreDeps } from './shared/deps.ts';
import type { Queryable } from './storage/index.ts';
import { endUserAccess, queueSecurityNotice } from './users/index.ts';
import { deleteAllCredentials } from './webauthn/index.ts';

/** What the lost key made, as the configured key finds it. */
export interface LostSecretSurvey {
  /** Users whose authenticator app secret the configured key cannot open. */
  appSecrets: Array<{ companyId: string; userId: string; username: string; companyName: string; hasKey: boolean }>;
  recoveryCodes: number;
  unfinishedLogins: number;
  ssoRequests: number;
  ssoSecrets: Array<{ id: string; companyName: string; name: string }>;
  queuedMail: Array<{ id: string; recipient: string; subject: string }>;
  signingKeys: number;
  /** Sealed values the configured key cannot open: none means nothing is lost. */
  unopenable: number;
  modules: Array<{ clientId: string; name: string }>;
  apiClients: Array<{ clientId: string; name: string }>;
}

function opens(box: SecretBox, sealed: string, context: string): boolean {
  try {
    box.decrypt(sealed, context);
    return true;
  } catch {
    return false;
  }
}

/** Reads what replaceLostSecretKey would change; changes nothing. */
export async function surveyLostSecret(db: Queryable, secrets: SecretBox): Promise<LostSecretSurvey> {
  const users = await db
    .selectFrom('users')
    .innerJoin('companies', 'companies.id', 'users.company_id')
    .select(['users.id', 'users.company_id', 'users.username', 'users.totp_secret', 'companies.name as companyName'])
    .where('users.totp_secret', 'is not', null)
    .execute();
  // Keys that still sign in: not one switched off (src/login/key-copy.ts).
  const withKey = new Set((await db.selectFrom('webauthn_credentials').select('user_id').where('switched_off_at', 'is', null).distinct().execute()).map((row) => row.user_id));
  const appSecrets = users
    .filter((user) => !opens(secrets, user.totp_secret as string, `totp:${user.id}`))
    .map((user) => ({ companyId: user.company_id, userId: user.id, username: user.username, companyName: user.companyName, hasKey: withKey.has(user.id) }));
  const flows = await db.selectFrom('login_flows').select(['id_hash', 'enroll_secret']).execute();
  const ssoRequests = await db.selectFrom('sso_requests').select(['id', 'code_verifier']).execute();
  const providers = await db
    .selectFrom('sso_providers')
    .innerJoin('companies', 'companies.id', 'sso_providers.company_id')
    .select(['sso_providers.id', 'sso_providers.name', 'sso_providers.oidc_client_secret', 'companies.name as companyName'])
    .where('sso_providers.oidc_client_secret', 'is not', null)
    .execute();
  const ssoSecrets = providers.filter((row) => !opens(secrets, row.oidc_client_secret as string, `sso-oidc:${row.id}`)).map(({ id, name, companyName }) => ({ id, name, companyName }));
  const mail = await db.selectFrom('outbox').select(['id', 'recipient', 'subject', 'payload']).where('status', '=', 'pending').where('payload', 'is not', null).execute();
  const queuedMail = mail.filter((row) => !opens(secrets, row.payload as string, `outbox:${row.id}`)).map(({ id, recipient, subject }) => ({ id, recipient, subject }));
  const keys = await db.selectFrom('signing_keys').select(['kid', 'private_jwk']).execute();
  const unopenable =
    appSecrets.length +
    ssoSecrets.length +
    queuedMail.length +
    flows.filter((flow) => flow.enroll_secret !== null && !opens(secrets, flow.enroll_secret, `enroll:${flow.id_hash}`)).length +
    ssoRequests.filter((request) => request.code_verifier !== null && !opens(secrets, request.code_verifier, `sso-pkce:${request.id}`)).length +
    keys.filter((key) => !opens(secrets, key.private_jwk, `signing-key:${key.kid}`)).length;
  const count = async (table: 'recovery_codes') => Number((await db.selectFrom(table).select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow()).n);
  return {
    appSecrets,
    recoveryCodes: await count('recovery_codes'),
    unfinishedLogins: flows.length,
    ssoRequests: ssoRequests.length,
    ssoSecrets,
    queuedMail,
    signingKeys: keys.length,
    unopenable,
    modules: await db.selectFrom('modules').select(['client_id as clientId', 'name']).where('secret_hash', 'is not', null).orderBy('name').execute(),
    apiClients: await db.selectFrom('api_clients').select(['client_id as clientId', 'name']).orderBy('name').execute(),
  };
}

export const LOST_MAIL_ERROR = 'sealed with a secret key since lost (gatehouse keys replace-lost-secret); not sent';

/**
 * Makes what the lost key sealed unusable, as listed above, in one transaction under the
 * configured (new) key: surveyed again inside it, so what is changed is what is found
 * then. Audited as `secret_key.replaced` (counts and ids, never secrets), with the
 * signing key replacement's own `signing_keys.rotated`. The caller refuses to run it when
 * the survey finds nothing unopenable (the configured key is the right one).
 */
export async function replaceLostSecretKey(deps: CoreDeps, by: { actorId: string; ip: string | null; userAgent: string | null }) {
  const survey = await deps.db.transaction().execute(async (tx) => {
    const now = deps.clock();
    const found = await surveyLostSecret(tx, deps.secrets);
    if (found.unopenable === 0) return found;
    for (const user of found.appSecrets) {
      await tx.updateTable('users').set({ totp_secret: null, totp_enrolled_at: null, totp_last_step: null, enroll_mail_proof: 1 }).where('company_id', '=', user.companyId).where('id', '=', user.userId).execute();
      if (!user.hasKey) await deleteAllCredentials(tx, user.companyId, user.userId);
      // Sessions, unfinished logins, key ceremonies and module tokens, as a 2FA reset ends them.
      await endUserAccess(tx, now, user.companyId, user.userId, 'two_factor_reset');
      await queueSecurityNotice(deps, tx, { companyId: user.companyId, userId: user.userId }, 'two_factor_reset');
    }
    await tx.deleteFrom('recovery_codes').execute();
    await tx.deleteFrom('login_flows').execute();
    await tx.deleteFrom('sso_requests').execute();
    for (const provider of found.ssoSecrets) await tx.updateTable('sso_providers').set({ oidc_client_secret: null }).where('id', '=', provider.id).execute();
    for (const mail of found.queuedMail) {
      await tx.updateTable('outbox').set({ status: 'failed', payload: null, last_error: LOST_MAIL_ERROR, locked_until: null }).where('id', '=', mail.id).where('status', '=', 'pending').execute();
    }
    const keys = await rotateSigningKeysIn(tx, deps.secrets, now, { dropPrevious: true, by });
    await recordAudit(tx, now, {
      companyId: null,
      actorId: by.actorId,
      ip: by.ip,
      userAgent: by.userAgent,
      action: 'secret_key.replaced',
      detail: {
        appSecretsCleared: found.appSecrets.length,
        recoveryCodesDeleted: found.recoveryCodes,
        unfinishedLoginsEnded: found.unfinishedLogins,
        ssoRequestsEnded: found.ssoRequests,
        ssoSecretsCleared: found.ssoSecrets.map((provider) => provider.id),
        mailDropped: found.queuedMail.map((mail) => mail.id),
        signingKeysDropped: keys.dropped,
        signingKeysAdded: keys.added,
      },
    });
    return found;
  });
  if (survey.unopenable > 0) deps.mailQueued();
  return survey;
}

// Runs the schema migrations in order. Kysely's migrator takes a lock table, so two
// nodes starting together on one PostgreSQL run each migration once, and it refuses a
// history that does not match the code (an older binary on a newer database).
import { DEFAULT_MIGRATION_TABLE, Migrator, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import * as initial from './migrations/0001_initial.ts';
import * as modulesOidc from './migrations/0002_modules_oidc.ts';
import * as administration from './migrations/0003_administration.ts';
import * as moduleSigningAlg from './migrations/0004_module_signing_alg.ts';
import * as loginThrottle from './migrations/0005_login_throttle.ts';
import * as moduleSessionBinding from './migrations/0006_module_session_binding.ts';
import * as invitationMail from './migrations/0007_invitation_mail.ts';
import * as confusableNameKeys from './migrations/0008_confusable_name_keys.ts';
import * as sessionLoginFor from './migrations/0009_session_login_for.ts';
import * as apiClients from './migrations/0010_api_clients.ts';
import * as idempotencyKeys from './migrations/0011_idempotency_keys.ts';
import * as clientRequestedApprovals from './migrations/0012_client_requested_approvals.ts';
import * as webauthnCredentials from './migrations/0013_webauthn_credentials.ts';
import * as groups from './migrations/0014_groups.ts';
import * as companySso from './migrations/0015_company_sso.ts';
import * as oneNameKey from './migrations/0016_one_name_key.ts';
import * as attemptHolds from './migrations/0017_attempt_holds.ts';
import * as rateCaps from './migrations/0018_rate_caps.ts';
import * as hashedProviderIds from './migrations/0019_hashed_provider_ids.ts';
import * as savedFormKeys from './migrations/0020_saved_form_keys.ts';
import * as oneSsoRequestPerFlow from './migrations/0021_one_sso_request_per_flow.ts';
import * as apiClientHoldEnded from './migrations/0022_api_client_hold_ended.ts';
import * as sessionProvedAt from './migrations/0023_session_proved_at.ts';
import * as auditCreatedAt from './migrations/0024_audit_created_at.ts';
import * as signingKeyActivation from './migrations/0025_signing_key_activation.ts';
import * as loginAttemptsInFlight from './migrations/0026_login_attempts_in_flight.ts';
import * as loginInFlightSince from './migrations/0027_login_in_flight_since.ts';
import * as apiClientCredentialTag from './migrations/0028_api_client_credential_tag.ts';
import * as emailVerified from './migrations/0029_email_verified.ts';
import * as invitedByClient from './migrations/0030_invited_by_client.ts';
import * as blankGlyphNameKeys from './migrations/0031_blank_glyph_name_keys.ts';
import * as rateCapsPreviousBucket from './migrations/0032_rate_caps_previous_bucket.ts';
import * as previousBuckets from './migrations/0033_previous_buckets.ts';
import * as userIdempotencyKeys from './migrations/0034_user_idempotency_keys.ts';
import * as userActivatedAt from './migrations/0035_user_activated_at.ts';
import * as formerUsers from './migrations/0036_former_users.ts';
import * as outboxUser from './migrations/0037_outbox_user.ts';
import * as outboxForRole from './migrations/0038_outbox_for_role.ts';
import * as keySwitchedOff from './migrations/0039_key_switched_off.ts';
import * as sessionLastSeenIp from './migrations/0040_session_last_seen_ip.ts';
import * as lockStreak from './migrations/0041_lock_streak.ts';
import * as mailProofBeforeEnrollment from './migrations/0042_mail_proof_before_enrollment.ts';
import * as sessionExpiryIndex from './migrations/0043_session_expiry_index.ts';
import * as publicIdempotencyKeys from './migrations/0044_public_idempotency_keys.ts';

export const migrations: Record<string, Migration> = {
  '0001_initial': initial,
  '0002_modules_oidc': modulesOidc,
  '0003_administration': administration,
  '0004_module_signing_alg': moduleSigningAlg,
  '0005_login_throttle': loginThrottle,
  '0006_module_session_binding': moduleSessionBinding,
  '0007_invitation_mail': invitationMail,
  '0008_confusable_name_keys': confusableNameKeys,
  '0009_session_login_for': sessionLoginFor,
  '0010_api_clients': apiClients,
  '0011_idempotency_keys': idempotencyKeys,
  '0012_client_requested_approvals': clientRequestedApprovals,
  '0013_webauthn_credentials': webauthnCredentials,
  '0014_groups': groups,
  '0015_company_sso': companySso,
  '0016_one_name_key': oneNameKey,
  '0017_attempt_holds': attemptHolds,
  '0018_rate_caps': rateCaps,
  '0019_hashed_provider_ids': hashedProviderIds,
  '0020_saved_form_keys': savedFormKeys,
  '0021_one_sso_request_per_flow': oneSsoRequestPerFlow,
  '0022_api_client_hold_ended': apiClientHoldEnded,
  '0023_session_proved_at': sessionProvedAt,
  '0024_audit_created_at': auditCreatedAt,
  '0025_signing_key_activation': signingKeyActivation,
  '0026_login_attempts_in_flight': loginAttemptsInFlight,
  '0027_login_in_flight_since': loginInFlightSince,
  '0028_api_client_credential_tag': apiClientCredentialTag,
  '0029_email_verified': emailVerified,
  '0030_invited_by_client': invitedByClient,
  '0031_blank_glyph_name_keys': blankGlyphNameKeys,
  '0032_rate_caps_previous_bucket': rateCapsPreviousBucket,
  '0033_previous_buckets': previousBuckets,
  '0034_user_idempotency_keys': userIdempotencyKeys,
  '0035_user_activated_at': userActivatedAt,
  '0036_former_users': formerUsers,
  '0037_outbox_user': outboxUser,
  '0038_outbox_for_role': outboxForRole,
  '0039_key_switched_off': keySwitchedOff,
  '0040_session_last_seen_ip': sessionLastSeenIp,
  '0041_lock_streak': lockStreak,
  '0042_mail_proof_before_enrollment': mailProofBeforeEnrollment,
  '0043_session_expiry_index': sessionExpiryIndex,
  '0044_public_idempotency_keys': publicIdempotencyKeys,
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

export async function migrateToLatest(db: Kysely<unknown>): Promise<string[]> {
  // Names compared code unit by code unit (they are ASCII: 0001_initial, ...): Kysely's
  // default, localeCompare, makes V8 load ICU's collation data at every start, about 3 MiB
  // of every idle node's memory (docs/PERFORMANCE-LOG.md, twenty-second pass).
  const migrator = new Migrator({ db, provider, nameComparator: (a, b) => (a < b ? -1 : a > b ? 1 : 0) });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    // Kysely calls a history with migrations this code does not know "corrupted", which
    // reads as damage; one that only runs past this release's last migration is a newer
    // release's database, refused in the words of docs/OPERATIONS.md (Upgrading).
    const newer = await newerMigration(db);
    if (newer) throw new Error(`This database was migrated by a newer release of Gatehouse (migration ${newer}); roll forward, or restore a backup`);
    throw error instanceof Error ? error : new Error(String(error));
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** The newest executed migration past this release's last one, if the database has any. */
async function newerMigration(db: Kysely<unknown>): Promise<string | undefined> {
  const latest = Object.keys(migrations).sort().at(-1) ?? '';
  // The table exists: Kysely made it before it compared the history with the code.
  const executed = await (db as Kysely<Record<string, { name: string }>>)
    .selectFrom(DEFAULT_MIGRATION_TABLE)
    .select('name')
    .execute()
    .catch(() => []);
  const unknown = executed.map((row) => row.name).filter((name) => !(name in migrations) && name > latest);
  return unknown.sort().at(-1);
}

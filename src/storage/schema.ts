// Table types for Kysely. Times are epoch milliseconds (one representation on both
// engines); flags are 0/1 integers for the same reason. Every tenant-owned table has
// company_id, and the store functions that read it take companyId first.
import type { Generated } from 'kysely';

export interface CompaniesTable {
  id: string;
  name: string;
  /** Case-insensitive, confusable-aware name (src/shared/text.ts nameKey): two companies may not share it. */
  name_key: string;
  /** The second uniqueness key (src/shared/text.ts caseKey); migration 0016. */
  case_key: string;
  status: 'active' | 'suspended';
  /** 1 for the platform's own company, whose users are the operators. */
  is_platform: number;
  created_at: number;
  password_min_length: Generated<number>;
  /** JSON array of required character classes: lower, upper, digit, symbol. */
  password_classes: Generated<string>;
  lockout_threshold: Generated<number>;
  lockout_minutes: Generated<number>;
  session_absolute_minutes: Generated<number>;
  session_idle_minutes: Generated<number>;
  /** JSON array of CIDR ranges; empty: logins from anywhere. */
  ip_allowlist: Generated<string>;
  /** 1: resetting a user's 2FA needs a second Master's approval. */
  two_person_2fa_reset: Generated<number>;
  /** Single sign-on: who may still use a password once a provider is on (migration 0015). */
  sso_mode: Generated<'sso-only' | 'sso-plus-password'>;
  /** Who must sign in with a passkey or security key (migration 0013). */
  phishing_resistant: Generated<'off' | 'masters' | 'everyone'>;
}

export interface AccountRequestsTable {
  id: string;
  company_name: string;
  name_key: string;
  /** The second uniqueness key (src/shared/text.ts caseKey); migration 0016. */
  case_key: string;
  contact_name: string;
  email: string;
  phone: string;
  note: string | null;
  source: 'public' | 'operator';
  status: 'pending' | 'approved' | 'rejected';
  reject_reason: string | null;
  company_id: string | null;
  decided_by: string | null;
  decided_at: number | null;
  created_at: number;
}

export interface UsersTable {
  id: string;
  company_id: string;
  username: string;
  username_key: string;
  /** The second uniqueness key (src/shared/text.ts caseKey); migration 0016. */
  case_key: string;
  email: string;
  display_name: string;
  role: 'root_master' | 'master' | 'user';
  status: 'invited' | 'active' | 'disabled';
  password_hash: string | null;
  totp_secret: string | null;
  totp_enrolled_at: number | null;
  /** Last accepted TOTP time step: a code is accepted once, across nodes. */
  totp_last_step: number | null;
  failed_logins: number;
  locked_until: number | null;
  /** Locks since the last completed login or unlock: each lasts twice the one before, up to a day (migration 0041, src/login/lockout.ts). */
  lock_streak: Generated<number>;
  /** 1 after a 2FA reset by someone else: the next enrollment waits for a mailed code (migration 0042, src/login/mail-proof.ts). */
  enroll_mail_proof: Generated<number>;
  /** Attempt slots held by password steps, in the time window hold_window and the one before (migration 0017, src/login/attempt-holds.ts). */
  hold_window: Generated<number | null>;
  holds_now: Generated<number>;
  holds_before: Generated<number>;
  created_at: number;
  invited_by: Generated<string | null>;
  /** The API client that sent (or last resent) the invitation, where no Master did (migration 0030). */
  invited_by_client: Generated<string | null>;
  last_login_at: Generated<number | null>;
  /** 1: keeps the password step when the company signs in through its provider (migration 0015). */
  sso_break_glass: Generated<number>;
  /** When a link mailed to `email` was last used (Sign Up, confirm, reset); null: the address is not known to reach the user (migration 0029). */
  email_verified_at: Generated<number | null>;
  /** When the user first became active: signed up, or signed in by the company's provider (migration 0035). */
  activated_at: Generated<number | null>;
}

/** A deleted user's name, for the audit events that name them as their actor (migration 0036). */
export interface FormerUsersTable {
  id: string;
  company_id: string;
  username: string;
  deleted_at: number;
}

export interface ActionLinksTable {
  id: string;
  company_id: string;
  user_id: string;
  purpose: 'signup' | 'invite' | 'reset_password' | 'confirm_email' | 'cancel_email';
  /** Purpose-specific data, e.g. the new address of an email change. */
  data: Generated<string | null>;
  /** SHA-256 of the token; the token itself exists only in the email. */
  token_hash: string;
  expires_at: number;
  consumed_at: number | null;
  revoked_at: number | null;
  created_at: number;
}

export interface LoginFlowsTable {
  id_hash: string;
  company_id: string | null;
  user_id: string | null;
  username: string;
  company_name: string;
  /** 'sso': sent to the company's provider; 'sso_trusted': back, its MFA trusted, one call to finish. */
  /** passkey: a "Log in with a passkey" waiting for the browser's answer (no names typed). */
  /** key_enroll: the company's policy requires a key this user does not have yet; one is added before the login ends. */
  /** mail_code: enrollment after a 2FA reset by someone else waits for the code mailed to the user (src/login/mail-proof.ts). */
  step: 'password' | 'totp' | 'mail_code' | 'enroll' | 'sso' | 'sso_trusted' | 'passkey' | 'key_enroll';
  /** Pending enrollment secret, encrypted, until the first code proves it. */
  enroll_secret: string | null;
  totp_failures: number;
  /** Same-origin path to continue at after the last step (an OIDC interaction). */
  return_to: string | null;
  expires_at: number;
  created_at: number;
  /** 'pwd', or 'fed' when the company's identity provider vouched for the user (migration 0015). */
  first_factor: Generated<'pwd' | 'fed'>;
  /** The time window of the attempt slot its password step holds; null: none held, or given back (migration 0017). */
  slot_hold_window: Generated<number | null>;
  /** Its requests holding an attempt slot, or a key's challenge, not answered yet (migration 0026). */
  attempts_in_flight: Generated<number>;
  /** When that count last started from none; a count older than IN_FLIGHT_STALE_MS counts as none (migration 0027). */
  in_flight_since: Generated<number>;
  /** The code mailed at the mail_code step, as a keyed hash; when it was sent, how many were, and when one was proved (migration 0042). */
  mail_code_hash: Generated<string | null>;
  mail_code_sent_at: Generated<number | null>;
  mail_codes_sent: Generated<number>;
  mail_proved_at: Generated<number | null>;
}

export interface SessionsTable {
  id_hash: string;
  company_id: string;
  user_id: string;
  amr: string;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
  /** The address the session was signed in from (its company's allowlist judges it). */
  ip: string | null;
  /** The address it was last used from, stored with last_seen_at or on a change of address; null: not since the sign-in (migration 0040). */
  last_seen_ip: Generated<string | null>;
  user_agent: string | null;
  /** Where the login that made this session was to return (a module's interaction), if anywhere. */
  login_for: string | null;
  /** When the user last proved it is them on this session (POST /api/me/reauth); null: only at login (migration 0023). */
  proved_at: Generated<number | null>;
}

/** Delivery columns every outbox table has (src/storage/leased-jobs.ts works on them). */
export interface JobColumns {
  id: string;
  status: 'pending' | 'sent' | 'failed';
  attempts: number;
  next_attempt_at: number;
  locked_until: number | null;
  last_error: string | null;
  created_at: number;
  sent_at: number | null;
}

export interface OutboxTable extends JobColumns {
  id: string;
  company_id: string | null;
  recipient: string;
  subject: string;
  /** Encrypted JSON { html, text }: it can hold a live link. Cleared after delivery. */
  payload: string | null;
  /** The company's person it is for: sent only while they still are one (migration 0037); null: an address only. */
  user_id: Generated<string | null>;
  /**
   * The role user_id was sent it for (a notice to the company's Masters): sent only while
   * they still hold it (migration 0038). 'master': a Master or the Root Master. Null: mail
   * for the person as themselves.
   */
  for_role: Generated<'master' | null>;
}

export interface MailboxTable {
  id: string;
  outbox_id: string;
  company_id: string | null;
  sender: string;
  recipient: string;
  subject: string;
  text_body: string;
  html_body: string;
  created_at: number;
}

export interface AuditEventsTable {
  id: Generated<number>;
  company_id: string | null;
  actor_id: string | null;
  action: string;
  target: string | null;
  ip: string | null;
  user_agent: string | null;
  detail: string | null;
  created_at: number;
  /** The API client that acted (actor_id is then null). */
  actor_client_id: Generated<string | null>;
}

export interface SettingsTable {
  key: string;
  value: string;
}

export interface ModulesTable {
  id: string;
  /** Public OAuth client id. */
  client_id: string;
  name: string;
  description: string;
  logo_url: string | null;
  launch_url: string;
  /** JSON array of exact redirect URIs. */
  redirect_uris: string;
  post_logout_redirect_uris: string;
  backchannel_logout_uri: string | null;
  client_type: 'confidential' | 'public';
  /** Keyed SHA-256 of the client secret (confidential clients only). */
  secret_hash: string | null;
  created_at: number;
  id_token_alg: Generated<'RS256' | 'ES256'>;
}

/** A create an API client made with an Idempotency-Key, and its answer once it has one. */
export interface IdempotencyKeysTable {
  api_client_id: string;
  key: string;
  request_hash: string;
  response_status: number | null;
  response_body: string | null;
  created_at: number;
}

/** The same, for a signed-in user's creates in the web app (the console's routes). */
export interface UserIdempotencyKeysTable extends Omit<IdempotencyKeysTable, 'api_client_id'> {
  user_id: string;
}

/** The same, for the public account request, whose keys no one signed in holds: kept per form. */
export interface PublicIdempotencyKeysTable extends Omit<IdempotencyKeysTable, 'api_client_id'> {
  form: string;
}

export interface ApiClientsTable {
  id: string;
  /** Public OAuth client id, `ghapi_...`. */
  client_id: string;
  /** The company it acts for; null for a platform client (every company). */
  company_id: string | null;
  name: string;
  /** JSON array of scope names. */
  scopes: string;
  /** Keyed SHA-256 of the client secret. */
  secret_hash: string;
  /**
   * credentialTag(secret_hash), written with it (migration 0028): the tag its tokens carry,
   * compared in SQL by the guard's one statement (src/api-clients/usage.ts). '' (the
   * column's default, which no token's tag equals) on a row written without it.
   */
  credential_tag: string;
  expires_at: number | null;
  /** The user who created it, or `cli`. */
  created_by: string;
  /** Who last set the secret (created or rotated it): the person who holds the client's power. */
  secret_holder: string | null;
  /**
   * When the holder stopped being allowed to hold the secret (demoted, deactivated,
   * deleted): the client stays stopped from then on, whatever becomes of the holder, until
   * a rotation clears it (src/api-clients/store.ts, endSecretHolds).
   */
  hold_ended_at: number | null;
  created_at: number;
  last_used_at: number | null;
  deleted_at: number | null;
  /** Start of the current rate-limit bucket, the requests counted in it, and in the one before (migration 0033). */
  window_start: Generated<number>;
  window_count: Generated<number>;
  window_previous_count: Generated<number>;
}

export interface CompanyModulesTable {
  company_id: string;
  module_id: string;
  /** Granted by an operator; a company's Masters switch it on or off for their users. */
  enabled: number;
  granted_at: number;
}

/** Everything oidc-provider persists: codes, tokens, sessions, grants, interactions. */
export interface OidcRecordsTable {
  model: string;
  /**
   * The record's id as stored: for a code, token or provider session the SHA-256 of the
   * value handed out, never the value (src/modules/oidc/stored-ids.ts, migration 0019).
   */
  id: string;
  /** The provider's payload; a hashed record's without its `jti`. */
  payload: string;
  grant_id: string | null;
  user_code: string | null;
  uid: string | null;
  expires_at: number | null;
  consumed_at: number | null;
  /** The account a token or session belongs to: a user's tokens end together. */
  account_id: Generated<string | null>;
}

export interface SigningKeysTable {
  kid: string;
  alg: 'RS256' | 'ES256';
  /** Private JWK, encrypted with the secret box. */
  private_jwk: string;
  /** 'active': from the latest rotation (or first start); 'retired': superseded by a later one. */
  status: 'active' | 'retired';
  created_at: number;
  /** From when the key signs; published from its creation (migration 0025). */
  activates_at: number;
  /** When it stopped (or stops) signing: its successor's activates_at. Published for RETIRED_KEY_GRACE_MS after. */
  retired_at: number | null;
}

export interface RecoveryCodesTable {
  id: string;
  company_id: string;
  user_id: string;
  code_hash: string;
  used_at: number | null;
  created_at: number;
}

export interface ApprovalsTable {
  id: string;
  company_id: string;
  action: 'reset_2fa';
  target_user_id: string;
  /** The Master who asked; null when an API client asked (then requested_by_client_id says which). */
  requested_by: string | null;
  /** The API client (its row id) that asked; null when a person asked. */
  requested_by_client_id: string | null;
  status: 'pending' | 'approved' | 'rejected';
  decided_by: string | null;
  decided_at: number | null;
  created_at: number;
}

export interface LoginThrottleTable {
  /** The client network counted (src/shared/client-network.ts: an IPv4 address, an IPv6 /64), or 'unknown'. */
  ip: string;
  /** The current bucket's start and failures, and the failures of the bucket before (migration 0033). */
  window_start: number;
  failures: number;
  previous_failures: Generated<number>;
}

/** Uses per key in its current bucket and the one before (migrations 0018, 0032; src/storage/rate-caps.ts). */
export interface RateCapsTable {
  /** SHA-256 of the cap's key (it may name an address): the table holds no address. */
  key_hash: string;
  /** Start of the current bucket (a bucket is the cap's windowMs long). */
  window_start: number;
  /** Uses in the current bucket. */
  used: number;
  /** Uses in the bucket just before the current one. */
  previous_used: Generated<number>;
}

/** Which Gatehouse browser session a module grant (and so its tokens) came from. */
export interface ModuleGrantSessionsTable {
  grant_id: string;
  session_hash: string;
  company_id: string;
  user_id: string;
  client_id: string;
  account_id: string;
  sid: string | null;
  provider_session_uid: string | null;
  created_at: number;
}

/** Back-channel logout notices owed to modules, delivered by a worker with retries. */
export interface BackchannelOutboxTable extends JobColumns {
  id: string;
  company_id: string;
  client_id: string;
  account_id: string;
  sid: string | null;
  reason: string;
}

/** One invitation email sent (invite or resend), for rate limits and the operator's view. */
export interface InvitationMailTable {
  id: string;
  company_id: string;
  inviter_id: string;
  sent_at: number;
}

/** A company's group of users (migration 0014); names unique per company by both keys (src/shared/text.ts nameKey, caseKey). */
export interface GroupsTable {
  id: string;
  company_id: string;
  name: string;
  name_key: string;
  case_key: string;
  created_at: number;
}

export interface GroupMembersTable {
  group_id: string;
  company_id: string;
  user_id: string;
  added_at: number;
}

/** A module a group's members may use; once any group names a module, only members do. */
export interface GroupModulesTable {
  group_id: string;
  company_id: string;
  module_id: string;
}

/** A company's identity provider (migration 0015). */
export interface SsoProvidersTable {
  id: string;
  company_id: string;
  kind: 'saml' | 'oidc';
  name: string;
  enabled: number;
  saml_entity_id: string | null;
  saml_sso_url: string | null;
  /** JSON array of PEM certificates, at most two (rollover). */
  saml_certs: string | null;
  oidc_issuer: string | null;
  oidc_client_id: string | null;
  /** Encrypted, bound to `sso-oidc:<id>`. */
  oidc_client_secret: string | null;
  username_attribute: string;
  /** The attribute or claim naming the user's groups (kept in sync at each sign-in); null: not synced. */
  groups_attribute: string | null;
  trust_provider_mfa: number;
  tested_at: number | null;
  created_at: number;
  updated_at: number;
}

/** A request sent to a provider: single use (used_at set atomically). */
export interface SsoRequestsTable {
  id: string;
  company_id: string;
  provider_id: string;
  purpose: 'login' | 'test';
  flow_hash: string | null;
  session_hash: string | null;
  nonce: string | null;
  code_verifier: string | null;
  result: string | null;
  expires_at: number;
  used_at: number | null;
  created_at: number;
}

export interface SsoAssertionsTable {
  provider_id: string;
  assertion_id: string;
  expires_at: number;
}

/** A passkey or security key (migration 0013). */
export interface WebauthnCredentialsTable {
  id: string;
  company_id: string;
  user_id: string;
  credential_id: string;
  public_key: string;
  counter: number;
  /** JSON array of transports. */
  transports: string;
  name: string;
  aaguid: string;
  device_type: 'singleDevice' | 'multiDevice';
  backed_up: number;
  user_verified: number;
  created_at: number;
  last_used_at: number | null;
  /** When an answer showed a copy of the key in use; from then on it signs no one in (migration 0039). Null: in use. */
  switched_off_at: number | null;
}

/** A pending WebAuthn challenge, single use, bound to a login flow or a session. */
export interface WebauthnChallengesTable {
  binding_hash: string;
  purpose: 'register' | 'enroll' | 'second_factor' | 'passwordless' | 'reauth';
  company_id: string | null;
  user_id: string | null;
  challenge: string;
  expires_at: number;
  created_at: number;
}

export interface Database {
  companies: CompaniesTable;
  account_requests: AccountRequestsTable;
  users: UsersTable;
  action_links: ActionLinksTable;
  login_flows: LoginFlowsTable;
  sessions: SessionsTable;
  outbox: OutboxTable;
  mailbox: MailboxTable;
  audit_events: AuditEventsTable;
  settings: SettingsTable;
  modules: ModulesTable;
  company_modules: CompanyModulesTable;
  oidc_records: OidcRecordsTable;
  signing_keys: SigningKeysTable;
  recovery_codes: RecoveryCodesTable;
  approvals: ApprovalsTable;
  login_throttle: LoginThrottleTable;
  rate_caps: RateCapsTable;
  module_grant_sessions: ModuleGrantSessionsTable;
  backchannel_outbox: BackchannelOutboxTable;
  invitation_mail: InvitationMailTable;
  api_clients: ApiClientsTable;
  idempotency_keys: IdempotencyKeysTable;
  user_idempotency_keys: UserIdempotencyKeysTable;
  public_idempotency_keys: PublicIdempotencyKeysTable;
  former_users: FormerUsersTable;
  groups: GroupsTable;
  group_members: GroupMembersTable;
  group_modules: GroupModulesTable;
  sso_providers: SsoProvidersTable;
  sso_requests: SsoRequestsTable;
  sso_assertions: SsoAssertionsTable;
  webauthn_credentials: WebauthnCredentialsTable;
  webauthn_challenges: WebauthnChallengesTable;
}

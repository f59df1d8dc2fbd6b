// The one error registry. Capabilities throw `new GatehouseError('code')`; the HTTP
// layer renders every error from this table, so status and wording live in one place.
// Every message here is safe to show to whoever made the request.

const registry = {
  'operator.first_not_set_up': {
    status: 409,
    message: 'Set up the first operator first: run "gatehouse operator setup-link" and set its password with the link it prints.',
  },
  'request.invalid': { status: 400, message: 'Some fields need your attention.' },
  'request.too_large': { status: 413, message: 'The request is too large.' },
  'request.headers_too_large': { status: 431, message: "The request's headers are too large." },
  'request.unreadable': { status: 400, message: 'The request could not be read.' },
  'request.timeout': { status: 408, message: 'The request took too long to arrive.' },
  'request.no_host': { status: 400, message: 'The request names no host (HTTP/1.1 requires a Host header).' },
  'request.bad_host': { status: 400, message: 'The request names its host more than once, or in a form HTTP does not allow.' },
  'request.header_repeated': { status: 400, message: 'The request sends a header more than once that may be sent only once (such as Authorization or Content-Type).' },
  'request.content_encoding': { status: 415, message: 'The request body is compressed or encoded (Content-Encoding): send it as it is.' },
  'request.transfer_coding': { status: 501, message: 'The request uses a transfer coding this server does not read: send the body as it is, or chunked.' },
  'request.expectation_failed': { status: 417, message: 'The request expects something this server does not do (only "Expect: 100-continue" is understood).' },
  'request.unsupported_media_type': { status: 415, message: 'Send the request as JSON, in UTF-8.' },
  'request.not_utf8': { status: 400, message: 'The request is not UTF-8 text: send JSON bodies, and percent-encode URLs, in UTF-8.' },
  'request.not_found': { status: 404, message: 'Not found.' },
  // A save conditional on the version its form was read at (If-Match), after someone else saved.
  'request.not_conditional': {
    status: 400,
    message: 'This change cannot be made conditional: only saves that answer a version take If-Match. Send it without If-Match.',
  },
  // An Idempotency-Key on a change that keeps no answer to repeat (only creates do).
  'request.not_idempotent': {
    status: 400,
    message: 'This change takes no Idempotency-Key: only creates keep their answer for a repeat. Send it without Idempotency-Key.',
  },
  'request.changed_meanwhile': {
    status: 412,
    message: 'Someone else saved changes here after you opened it, so your changes were not saved. Reload to see the current settings, then make your change again.',
  },
  'request.rate_limited': { status: 429, message: 'Too many attempts. Wait a minute and try again.' },
  // A signed-in person's own account, locked by wrong passwords or codes: the wait is the
  // company's lockout time, given in Retry-After (a stranger learns nothing: the caller is
  // signed in as that user).
  'account.locked': { status: 429, message: 'Too many wrong passwords or codes: your account is locked for now. Try again when the lock ends: your company sets how long (15 minutes unless it chose another), and each lock before a successful login lasts twice the one before.' },
  'csrf.forbidden_origin': { status: 403, message: 'This request did not come from Gatehouse.' },
  // Answered to reads and saves alike, so it names neither a page nor a change.
  'auth.forbidden': { status: 403, message: 'Your account does not have access to this.' },
  'session.required': { status: 401, message: 'Please log in.' },
  'session.changed': { status: 409, message: 'Someone else has logged in with this browser since this page was opened. Reload the page.' },
  'api.token_required': { status: 401, message: 'Send an access token from /oidc/token: Authorization: Bearer <token>.' },
  'api.invalid_token': {
    status: 401,
    message:
      'The access token is not valid: it has expired, or its API client was deleted, has expired, has a new secret, belongs to a suspended company or has a secret whose holder is no longer a Master. Request a new token.',
  },
  'metrics.token_required': { status: 401, message: 'Send the metrics token: Authorization: Bearer <GATEHOUSE_METRICS_TOKEN>.' },
  'metrics.unavailable': { status: 503, message: 'The metrics could not be collected just now. The next scrape may succeed.' },
  'api.insufficient_scope': { status: 403, message: 'This API client does not have the scope this request needs.' },
  'api.rate_limited': { status: 429, message: 'Too many requests from this API client. Wait for the seconds in Retry-After, then try again.' },
  // CSV downloads in flight (src/http/csv-download-slots.ts): the requester's own, or the node's in all.
  'download.too_many_running': {
    status: 429,
    message: 'You already have as many downloads running as allowed at once. Let one finish, or cancel it, then try again.',
  },
  'download.server_busy': { status: 429, message: 'Gatehouse is busy with other downloads. Wait for the seconds in Retry-After, then try again.' },
  'api.idempotency_key_reused': {
    status: 422,
    message: 'This Idempotency-Key was sent before with a different request. Use a new key for a new request.',
  },
  'api.idempotency_in_progress': {
    status: 409,
    message: 'The first request with this Idempotency-Key is still running. Try again in a moment.',
  },
  'service.unavailable': { status: 503, message: 'Gatehouse is temporarily unavailable. Try again shortly.' },
  'internal': { status: 500, message: 'Something went wrong on our side.' },

  'company.name_taken': {
    status: 409,
    message: 'A company with this name already has an account or a pending request.',
  },
  'company.already_signed_up': {
    status: 409,
    message: 'The Root Master has already set a password, so there is no welcome link to resend.',
  },
  'company.suspended': {
    status: 409,
    message: 'The company is suspended: no welcome email is sent to it. Reactivate it first.',
  },
  'request.not_pending': { status: 409, message: 'This request has already been decided.' },
  'user.username_taken': { status: 409, message: 'That username is already used in this company.' },
  'user.self_action': { status: 409, message: 'You cannot do this to your own account.' },
  // The company totals (GATEHOUSE_USERS_PER_COMPANY and the two below, docs/CONFIG.md): the
  // number is the operator's to set, so the messages do not name it.
  'user.too_many': {
    status: 409,
    message:
      'This company has as many users as a company may hold (invited and deactivated users count, deleted ones do not). Delete users it no longer needs, or ask the Gatehouse operator to raise the limit.',
  },
  'user.operators_from_shell': {
    status: 409,
    message: 'Operators are not invited: add them on the server with `gatehouse operator create`.',
  },
  'user.unlock_limited': {
    status: 429,
    message: 'This user has been unlocked 3 times in the last hour. The lock ends by itself after the lockout time; try again later.',
  },
  'user.root_master_protected': {
    status: 403,
    message: "The Root Master's account cannot be changed by others. The Root Master can transfer the role first.",
  },
  'user.last_break_glass': {
    status: 409,
    message:
      "Single sign-on is on, and this would leave no active break-glass Master with a password and two-factor authentication. Name another break-glass user in Company, Single Sign-On first, so a broken provider cannot lock the company out.",
  },
  'user.root_master_only': { status: 403, message: 'Only the Root Master can transfer the Root Master role.' },
  'user.not_eligible_root_master': {
    status: 409,
    message: 'The Root Master role can only go to an active user who has set up two-factor authentication.',
  },
  'account_request.rate_limited': {
    status: 429,
    message: 'Too many account requests came from your network in the last hour. Try again later, or contact the Gatehouse operator.',
  },
  'profile.rate_limited': {
    status: 429,
    message: 'Too many changes to your profile in the last hour. Try again later.',
  },
  'admin.rate_limited': {
    status: 429,
    message: 'Too many changes from your account in the last few minutes. Wait a few minutes, then try again.',
  },
  'email.rate_limited': {
    status: 429,
    message: 'Too many email change requests in the last hour. Use a link already sent, or try again later.',
  },
  'invite.suspended_company': {
    status: 409,
    message: 'The company is suspended: no one can be invited into it. Reactivate it first.',
  },
  'invite.rate_limited': {
    status: 429,
    message:
      'Too many invitation emails were sent recently, by you or by your company. Try again later; the Gatehouse operator can raise the limits.',
  },
  'user.already_signed_up': {
    status: 409,
    message: 'This user has already set a password, so there is no invite to resend.',
  },
  'user.disabled': { status: 409, message: 'This user is deactivated. Reactivate them first.' },
  'user.not_enrolled': {
    status: 409,
    message: 'This user has not set up two-factor authentication yet, so there is nothing to reset.',
  },
  'group.name_taken': { status: 409, message: 'A group with this name already exists in this company.' },
  'group.too_many': {
    status: 409,
    message: 'This company has as many groups as a company may hold. Delete a group it no longer uses, or ask the Gatehouse operator to raise the limit.',
  },
  // A company's live API clients are capped (MAX_LIVE_CLIENTS_PER_COMPANY, src/api-clients/store.ts: the number here is its).
  'api_client.too_many': {
    status: 409,
    message: 'A company may hold at most 20 API clients, and this one has 20 (a client deleted or expired in the last minute still counts until its minute has passed). Delete a client it no longer uses, then add this one a minute later.',
  },
  'api_client.secret_changed': { status: 401, message: "This API client's secret was rotated or the client removed while the request ran: get a new token and ask again." },
  'approval.already_pending': { status: 409, message: 'A 2FA reset for this user is already waiting for approval.' },
  'approval.needs_second_master': {
    status: 403,
    message: 'Another Master must approve this: not the one who asked for it (or holds the secret of the API client that asked), and not the user it is for.',
  },
  'approval.not_pending': { status: 409, message: 'This request has already been decided.' },

  'link.invalid': {
    status: 410,
    message: 'This link can no longer be used: it was already used, has expired, or was replaced by a newer one.',
  },
  'password.mismatch': { status: 400, message: 'The passwords do not match.' },
  'password.too_weak': { status: 400, message: 'Choose a stronger password.' },
  'password.too_common': {
    status: 400,
    message: 'This password is too common and easy to guess. Choose another.',
  },

  'login.invalid_credentials': { status: 401, message: 'Incorrect username, company name or password.' },
  'login.flow_expired': { status: 409, message: 'Your sign-in took too long. Please start again.' },
  'login.wrong_step': { status: 409, message: 'Please continue signing in from the current step.' },
  'login.restarted': {
    status: 409,
    message: 'A login was started in another tab or window of this browser since this page was opened. This page now shows that login.',
  },
  'login.attempt_in_progress': {
    status: 409,
    message: 'This sign-in is being checked from another request (a second click, or a retry). Wait a moment, then try again.',
  },
  'login.ip_not_allowed': {
    status: 403,
    message: "Logins to this company are not allowed from your network. Contact your company's Master.",
  },
  'recovery.invalid_code': { status: 401, message: 'That recovery code is not valid or has already been used.' },
  'policy.two_person_root_only': {
    status: 403,
    message: 'Only the Root Master can switch off the two-person rule for 2FA resets.',
  },
  'policy.locks_out_self': {
    status: 400,
    message: 'This IP allowlist does not include your current address, so you could not log in again.',
  },
  'policy.key_sign_in_required': {
    status: 400,
    message: 'You signed in without a passkey or security key, so this policy would end your session. Sign in with one first, then save it.',
  },
  'totp.invalid_code': {
    status: 401,
    message:
      "That code didn't work. Enter the current 6-digit code from your authenticator app; if it keeps failing, check that your phone's clock is set automatically.",
  },
  'totp.already_used': {
    status: 409,
    message: 'That code was already used. Wait for the next code in your authenticator app.',
  },
  'recovery.already_used': {
    status: 409,
    message: 'That recovery code was already used. Each recovery code works once; enter another one.',
  },
  'login.enrollment_code_invalid': {
    status: 401,
    message: "That code didn't work. Enter the 6-digit code from the email we just sent you, or send a new code.",
  },
  'login.enrollment_code_wait': {
    status: 429,
    message: 'A code was sent moments ago. Check your email; you can ask for another in a few seconds.',
  },
  'login.enrollment_codes_spent': {
    status: 429,
    message: 'Several codes were sent already. Check your email, including its spam folder, or try again in an hour.',
  },
  'totp.too_many_attempts': {
    status: 429,
    message: 'Too many incorrect codes. Please start signing in again.',
  },

  'webauthn.not_accepted': {
    status: 401,
    message: 'That passkey or security key was not accepted. Try again, or use another way to sign in.',
  },
  'login.key_required': {
    status: 403,
    message: 'Your company requires a passkey or security key to sign in. Use your key, or a recovery code if you lost it.',
  },
  'webauthn.none_registered': { status: 409, message: 'You have no passkey or security key yet. Use the code from your authenticator app.' },
  'webauthn.already_registered': { status: 409, message: 'This passkey or security key is already registered.' },
  'webauthn.too_many': {
    status: 409,
    message: 'You have 20 passkeys and security keys, the most one person may hold. Remove one you no longer use to add another.',
  },
  'webauthn.last_factor': {
    status: 409,
    message: 'This is your only way to sign in. Add another passkey or security key, or set up the authenticator app, before removing it.',
  },

  // Too many new passwords waiting for the common-password check, in all or of one user
  // (src/credentials/estimator).
  'password.check_busy': {
    status: 503,
    message: 'Gatehouse is still checking new passwords sent before this one. Wait a few seconds, then try again: nothing was changed.',
  },
  'password.current_invalid': { status: 400, message: 'Your current password is not correct.' },
  'reauth.key_needed': { status: 400, message: 'Confirm it is you with your passkey or security key.' },
  'reauth.key_required': {
    status: 403,
    message: "Your company requires a passkey or security key. Confirm it is you with your key; the app's code no longer suffices.",
  },
  'reauth.password_with_key': {
    status: 400,
    message: 'Enter your password too: this key did not check a PIN or fingerprint.',
  },
  'password.managed_by_provider': {
    status: 409,
    message: "Your password is managed by your company's identity provider. Change it there.",
  },
  // A sensitive change (a route marked `sensitive`) from a session that has not proved it
  // is its user in the last 10 minutes (src/sessions FRESH_PROOF_MS): POST /api/me/reauth, then again.
  'reauth.required': { status: 403, message: 'Confirm it is you to make this change.' },
  'reauth.sign_in_again': {
    status: 403,
    message: "To add a key, sign in again through your company's identity provider, then add it within 10 minutes.",
  },
  'email.managed_by_provider': {
    status: 409,
    message: "Your email address comes from your company's identity provider, which updates it at each sign-in. Change it there.",
  },
  'password.unchanged': { status: 400, message: 'Choose a password different from your current one.' },
  'email.unchanged': { status: 400, message: 'This is already your email address.' },
  'totp.code_refused': {
    status: 400,
    message:
      "That code didn't work. Enter the current 6-digit code from your authenticator app; each code works only once.",
  },

  'sso.not_tested': {
    status: 409,
    message: 'Run Test sign-in successfully with these settings before switching this provider on.',
  },
  'sso.break_glass_required': {
    status: 409,
    message:
      'Name at least one active Master who has a password and two-factor authentication as a break-glass user first, so a broken provider cannot lock the company out.',
  },
  'sso.metadata_invalid': { status: 400, message: 'The metadata XML could not be read as a SAML 2.0 identity provider.' },
  'sso.discovery_failed': {
    status: 400,
    message: "Gatehouse could not read the provider's OpenID Connect discovery document at this issuer URL.",
  },
  'sso_provider.too_many': {
    status: 409,
    message: 'This company has as many identity providers as a company may hold. Remove one it no longer uses, then add this one.',
  },
  'sso.not_offered': { status: 409, message: 'Single sign-on is not switched on for this company. Continue with your password.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof registry;

export class GatehouseError extends Error {
  override name = 'GatehouseError';
  readonly code: ErrorCode;
  readonly status: number;
  /** Per-field messages for forms (validation errors), also safe to show. */
  readonly fields: Record<string, string> | undefined;

  /** When to try again, in seconds: sent as Retry-After. */
  readonly retryAfterSeconds: number | undefined;
  /** The API scope a refused request lacks: named in its WWW-Authenticate challenge. */
  readonly scope: string | undefined;

  constructor(code: ErrorCode, options: { fields?: Record<string, string>; cause?: unknown; retryAfterSeconds?: number; scope?: string } = {}) {
    super(registry[code].message, { cause: options.cause });
    this.code = code;
    this.status = registry[code].status;
    this.fields = options.fields;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.scope = options.scope;
  }
}

export function errorMessage(code: ErrorCode): string {
  return registry[code].message;
}

/** Narrows a condition or throws the registered error: `assertThat(user, 'request.not_found')`. */
export function assertThat(condition: unknown, code: ErrorCode, fields?: Record<string, string>): asserts condition {
  if (!condition) throw new GatehouseError(code, { fields });
}

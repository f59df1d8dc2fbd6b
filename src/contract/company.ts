// A company's administration by its Masters: users and invitations, roles, 2FA resets
// and their approvals, the security policy, which granted modules users get, and the
// audit trail and MFA compliance (operators read these for every company).
import { z } from 'zod';
import { companyStatuses, maybeTime, roles, shownUserQuery, time } from './common.ts';
import { anId, email, isMultiline, isSingleLine, name, text, username } from './fields.ts';
import { PASSWORD_CLASSES } from './password-rules.ts';

export const invitableRole = z.enum(['master', 'user'], { error: 'Role must be master or user.' });
export const inviteBody = z.object({ email, username, role: invitableRole, displayName: name('Display name', 100, 0).optional() });
export const roleBody = z.object({ role: invitableRole });
/** The file as it came (bounded by the route's body limit); its rows are checked one by one. */
export const bulkInviteBody = z.object({
  csv: z
    .string({ error: 'Attach a CSV file.' })
    .min(1, 'Attach a CSV file.')
    .refine(isMultiline, 'The CSV file contains characters that are not allowed.'),
});

export const companyUser = z.object({
  id: z.uuid(),
  username: z.string(),
  displayName: z.string(),
  email: z.string(),
  role: roles,
  status: z.enum(['invited', 'not_enrolled', 'active', 'disabled']),
  locked: z.boolean(),
  lockedUntil: maybeTime,
  createdAt: time,
  ageHours: z.number().int(),
  invitedBy: z.object({ id: z.string(), username: z.string() }).nullable(),
  invite: z.object({ sentAt: time, expiresAt: time, expired: z.boolean() }).nullable(),
  lastLoginAt: maybeTime,
  /** A passkey or security key of theirs is switched off (a copy of it was seen): it signs in no one. `status` still counts it as enrolled. */
  keySwitchedOff: z.boolean(),
});
export const companyUsers = z.object({ users: z.array(companyUser) });
export const oneCompanyUser = z.object({ user: companyUser });

export const bulkInviteReport = z.object({
  invited: z.number().int(),
  refused: z.number().int(),
  rows: z.array(
    z.object({
      row: z.number().int(),
      email: z.string(),
      username: z.string(),
      status: z.enum(['invited', 'refused']),
      reason: z.string().optional(),
    }),
  ),
});
export const inviteResent = z.object({ inviteExpiresAt: time });

export const twoFactorResetOutcome = z.union([
  z.object({ status: z.literal('reset') }),
  z.object({ status: z.literal('pending'), approvalId: z.uuid() }),
]);
export const pendingApprovals = z.object({
  approvals: z.array(
    z.object({
      id: z.uuid(),
      action: z.literal('reset_2fa'),
      target: z.object({ id: z.string(), username: z.string() }),
      /** A Master (id, username: null once deleted) or an API client (id null, apiClient set). */
      requestedBy: z.object({
        id: z.string().nullable(),
        username: z.string().nullable(),
        apiClient: z.object({ clientId: z.string(), name: z.string() }).nullable(),
      }),
      createdAt: time,
      canApprove: z.boolean(),
    }),
  ),
});

/** A session is named by a handle: 16 hex digits of its id hash (never the cookie). */
export const sessionHandle = z.string().regex(/^[0-9a-f]{16}$/);
/** A user's live sessions, as a Master sees them. */
export const userSessions = z.object({
  sessions: z.array(
    z.object({
      id: sessionHandle,
      createdAt: time,
      lastSeenAt: time,
      /** The address it was signed in from. */
      ip: z.string().nullable(),
      /** The address it was last used from (stored at most once a minute, or seconds after a change of address). */
      lastSeenIp: z.string().nullable(),
      userAgent: z.string().nullable(),
    }),
  ),
});
export const userSessionParams = z.object({ id: anId(), handle: sessionHandle });

/** How many address ranges an IP allowlist may hold. */
export const MAX_ALLOWLIST_ENTRIES = 100;

// Types here; ranges, the idle-within-absolute rule and address parsing in the capability.
const whole = (label: string) => z.number({ error: `${label} must be a number.` }).int(`${label} must be a whole number.`).optional();
export const policyBody = z.object({
  passwordMinLength: whole('Minimum length'),
  passwordClasses: z
    .array(z.enum(PASSWORD_CLASSES, { error: 'Choose among lower, upper, digit and symbol.' }), { error: 'Send a list.' })
    .max(PASSWORD_CLASSES.length, 'Each class at most once.')
    .optional(),
  lockoutThreshold: whole('Failed attempts before a lock'),
  lockoutMinutes: whole('Lock duration'),
  sessionAbsoluteMinutes: whole('Session limit'),
  sessionIdleMinutes: whole('Idle timeout'),
  ipAllowlist: z
    .array(
      z
        .string({ error: 'Each entry must be text.' })
        .max(64, 'An entry can have at most 64 characters.')
        .refine(isSingleLine, 'An entry contains characters that are not allowed.'),
      { error: 'Send a list.' },
    )
    .max(MAX_ALLOWLIST_ENTRIES, `At most ${MAX_ALLOWLIST_ENTRIES} ranges.`)
    .optional(),
  twoPerson2faReset: z.boolean({ error: 'Say true or false.' }).optional(),
  /** Who must sign in with a passkey or security key. */
  phishingResistant: z.enum(['off', 'masters', 'everyone'], { error: 'Choose off, masters or everyone.' }).optional(),
});
const range = z.tuple([z.number().int(), z.number().int()]).readonly();
export const policyView = z.object({
  policy: z.object({
    passwordMinLength: z.number().int(),
    passwordClasses: z.array(z.enum(PASSWORD_CLASSES)),
    lockoutThreshold: z.number().int(),
    lockoutMinutes: z.number().int(),
    sessionAbsoluteMinutes: z.number().int(),
    sessionIdleMinutes: z.number().int(),
    ipAllowlist: z.array(z.string()),
    twoPerson2faReset: z.boolean(),
    phishingResistant: z.enum(['off', 'masters', 'everyone']),
  }),
  limits: z.object({
    passwordMinLength: range,
    lockoutThreshold: range,
    lockoutMinutes: range,
    sessionAbsoluteMinutes: range,
    sessionIdleMinutes: range,
    ipAllowlistEntries: z.number().int(),
    passwordClasses: z.array(z.enum(PASSWORD_CLASSES)),
  }),
  /** The address this request came from, so the form can warn before an allowlist locks its author out. */
  currentIp: z.string().nullable(),
  /** The policy's version, also the answer's ETag: send it as If-Match to save only if nobody changed the policy since. */
  version: z.string(),
});

export const companyModuleSwitches = z.object({
  modules: z.array(z.object({ id: z.uuid(), name: z.string(), description: z.string(), enabled: z.boolean() })),
});
export const enableBody = z.object({ enabled: z.boolean({ error: 'Say true or false.' }) });

// The audit trail. An empty query parameter means "no filter".
const optional = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === '' ? undefined : v), schema.optional());
/** A date (the whole day, UTC) or a date-time with its offset. */
const when = (label: string) =>
  optional(z.union([z.iso.date(), z.iso.datetime({ offset: true })], { error: `${label} must be an ISO date such as 2025-01-31.` }));
export const MAX_AUDIT_PAGE = 500;
const auditFilters = {
  action: optional(z.string().regex(/^[a-z0-9_.-]{1,64}$/i, 'Not an action name (e.g. login.failed or login.).')),
  /** Actors are users, named by their id. */
  actorId: optional(anId({ error: 'Not an id.' })),
  /** What an event was about: an id, a username, an address; matched exactly. */
  target: optional(text('Target', 200, 0)),
  from: when('From'),
  to: when('To'),
};
const paging = {
  limit: optional(z.coerce.number().int().min(1).max(MAX_AUDIT_PAGE, `At most ${MAX_AUDIT_PAGE} per page.`)).default(100),
  cursor: optional(z.string().regex(/^[A-Za-z0-9_-]{1,100}$/, 'Not a cursor from a previous page.')),
};
const byCompany = { companyId: optional(anId({ error: 'Not a company id.' })) };
export const companyAuditQuery = z.object({ ...auditFilters, ...paging });
/** The API's (/api/v1, no session, so no shown user). */
export const companyAuditCsvQuery = z.object(auditFilters);
export const operatorAuditQuery = z.object({ ...auditFilters, ...paging, ...byCompany });
export const complianceQuery = z.object(byCompany);
// The console's downloads are links: they name the page's user in the URL (shownUserQuery).
export const masterAuditCsvQuery = z.object({ ...auditFilters, ...shownUserQuery });
export const operatorAuditCsvQuery = z.object({ ...auditFilters, ...byCompany, ...shownUserQuery });
export const masterComplianceCsvQuery = z.object(shownUserQuery);
export const operatorComplianceCsvQuery = z.object({ ...byCompany, ...shownUserQuery });

export const auditPage = z.object({
  events: z.array(
    z.object({
      id: z.number().int(),
      time,
      companyId: z.string().nullable(),
      companyName: z.string().nullable(),
      actor: z.object({ id: z.string(), username: z.string().nullable() }).nullable(),
      /** The API client that acted, when one did (actor is then null). */
      apiClient: z.object({ id: z.string(), clientId: z.string(), name: z.string() }).nullable(),
      action: z.string(),
      target: z.string().nullable(),
      ip: z.string().nullable(),
      userAgent: z.string().nullable(),
      detail: z.record(z.string(), z.unknown()).nullable(),
    }),
  ),
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  nextCursor: z.string().nullable(),
});

const totals = z.object({
  users: z.number().int(),
  enrolled: z.number().int(),
  pending: z.number().int(),
  disabled: z.number().int(),
  percentEnrolled: z.number(),
});
export const companyComplianceView = z.object({
  company: z.object({ id: z.uuid(), name: z.string() }),
  users: z.array(
    z.object({
      id: z.uuid(),
      username: z.string(),
      role: roles,
      status: z.enum(['invited', 'active', 'disabled']),
      enrolled: z.boolean(),
      enrolledAt: maybeTime,
      /** The second factors the user has: the authenticator app, and how many passkeys or security keys. */
      factors: z.object({ app: z.boolean(), keys: z.number().int() }),
      pending: z.enum(['invited', 'not_enrolled']).nullable(),
      inviteAgeDays: z.number().int().nullable(),
      lastLoginAt: maybeTime,
    }),
  ),
  totals,
});
export const complianceOverview = z.object({
  companies: z.array(
    z.object({ companyId: z.uuid(), companyName: z.string(), status: companyStatuses, isPlatform: z.boolean(), totals }),
  ),
});

/** A CSV download (formula-safe cells, UTF-8). */
export const csvDownload = { description: 'CSV file', content: { 'text/csv': { schema: z.string() } } };

// How Gatehouse's records are shown to a program: one view per kind of record, used by
// the HTTP API and by the CLI's --json output alike, so a script reading either sees the
// same names and the same time format (ISO 8601, UTC). The shapes are the contract's.
import type { ApiClientView } from '../api-clients/index.ts';
import type { listAccountRequests, listCompanies } from '../companies/index.ts';
import { groupModulesVersion, type GroupSummary } from '../groups/index.ts';
import type { listMail } from '../mail/index.ts';
import { moduleVersion, type listModules } from '../modules/index.ts';
import { companyNameWarning } from '../shared/text.ts';
import type { invitationVolume, UserSummary } from '../users/index.ts';

export function iso(ms: number): string;
export function iso(ms: number | null): string | null;
export function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

type AccountRequestRow = Awaited<ReturnType<typeof listAccountRequests>>[number];
export function accountRequestView(row: AccountRequestRow) {
  return {
    id: row.id,
    companyName: row.company_name,
    contactName: row.contact_name,
    email: row.email,
    phone: row.phone,
    note: row.note,
    status: row.status,
    source: row.source,
    createdAt: iso(row.created_at),
    ageHours: Math.floor(row.ageMs / 3_600_000),
    urgency: row.urgency,
    // Mixed scripts in one word ("Асme" with a Cyrillic A): shown to the operator before approving.
    nameWarning: companyNameWarning(row.company_name),
    rejectReason: row.reject_reason,
    decidedBy: row.decided_by,
    decidedAt: iso(row.decided_at),
    companyId: row.company_id,
  };
}

type MailRow = Awaited<ReturnType<typeof listMail>>[number];
export function mailView(row: MailRow) {
  return {
    id: row.id,
    to: row.recipient,
    subject: row.subject,
    status: row.status,
    attempts: row.attempts,
    lastError: row.lastError,
    createdAt: iso(row.createdAt),
    sentAt: iso(row.sentAt),
    inMailbox: row.mailboxId !== null,
  };
}

type ModuleRow = Awaited<ReturnType<typeof listModules>>[number];
export function moduleView(m: ModuleRow) {
  return {
    id: m.id,
    clientId: m.client_id,
    name: m.name,
    description: m.description,
    logoUrl: m.logo_url,
    launchUrl: m.launch_url,
    redirectUris: JSON.parse(m.redirect_uris) as string[],
    postLogoutRedirectUris: JSON.parse(m.post_logout_redirect_uris) as string[],
    backchannelLogoutUri: m.backchannel_logout_uri,
    clientType: m.client_type,
    idTokenAlg: m.id_token_alg,
    createdAt: iso(m.created_at),
    version: moduleVersion(m),
  };
}

/** An API client, never its secret (that is shown once, beside this view). */
export function apiClientView(client: ApiClientView) {
  return { ...client, expiresAt: iso(client.expiresAt), createdAt: iso(client.createdAt), lastUsedAt: iso(client.lastUsedAt) };
}

/** A user of a company as its Masters (in the console or through the API) see them. */
export function companyUserView(user: UserSummary, now: number) {
  return {
    ...user,
    lockedUntil: iso(user.lockedUntil),
    createdAt: iso(user.createdAt),
    ageHours: Math.floor((now - user.createdAt) / 3_600_000),
    invite: user.invite
      ? { sentAt: iso(user.invite.sentAt), expiresAt: iso(user.invite.expiresAt), expired: user.invite.expiresAt <= now }
      : null,
    lastLoginAt: iso(user.lastLoginAt),
  };
}

/** A browser session (My Settings, a Master's view of a user's sessions, the API): never its id hash. */
export function sessionView<S extends { createdAt: number; lastSeenAt: number }>(session: S) {
  return { ...session, createdAt: iso(session.createdAt), lastSeenAt: iso(session.lastSeenAt) };
}

type CompanyRow = Awaited<ReturnType<typeof listCompanies>>[number];
type InvitationVolume = Awaited<ReturnType<typeof invitationVolume>>;
/** A company as operators (in the console or through the API) see it, with its invitation volume. */
export function companyView(c: CompanyRow, volume: InvitationVolume) {
  return {
    id: c.id,
    name: c.name,
    status: c.status,
    createdAt: iso(c.createdAt),
    rootMaster: c.username ? { username: c.username, email: c.email, signedUp: c.signedUp, enrolled: c.enrolled } : null,
    // Invitation emails are rate limited per company; the operator sees who sends how many.
    invitations: volume.get(c.id) ?? { last24h: 0, last7d: 0 },
  };
}

export function groupView(group: GroupSummary) {
  return { id: group.id, name: group.name, createdAt: iso(group.createdAt), members: group.members, modules: group.modules, modulesVersion: groupModulesVersion(group) };
}

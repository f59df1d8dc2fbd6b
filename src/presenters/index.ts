// How Gatehouse's records are shown to a program: one view per kind of record, used by
// the HTTP API and by the CLI's --json output alike, so a script reading either sees the
// same names and the same time format (ISO 8601, UTC). The shapes are the contract's.
import type { ApiClientView } from '../api-clients/index.ts';
import type { listAccountRequests } from '../companies/index.ts';
import type { listMail } from '../mail/index.ts';
import type { listModules } from '../modules/index.ts';
import { companyNameWarning } from '../shared/text.ts';

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
  };
}

/** An API client, never its secret (that is shown once, beside this view). */
export function apiClientView(client: ApiClientView) {
  return { ...client, expiresAt: iso(client.expiresAt), createdAt: iso(client.createdAt), lastUsedAt: iso(client.lastUsedAt) };
}

// The operator console: account requests and approval, companies, the outgoing mail and
// the Mailbox, and modules with their grants to companies.
import { z } from 'zod';
import { companyStatuses, maybeTime, nextCursor, pageQuery, time } from './common.ts';
import { anId, multilineText, text, username } from './fields.ts';

export const requestStatuses = z.enum(['pending', 'approved', 'rejected']);
export const requestListQuery = z.object({ status: z.enum(['pending', 'approved', 'rejected', 'all']).default('pending') });
export const accountRequests = z.object({
  requests: z.array(
    z.object({
      id: z.uuid(),
      companyName: z.string(),
      contactName: z.string(),
      email: z.string(),
      phone: z.string(),
      note: z.string().nullable(),
      status: requestStatuses,
      source: z.enum(['public', 'operator']),
      createdAt: time,
      ageHours: z.number().int(),
      urgency: z.enum(['new', 'due', 'overdue']),
      /** Mixed scripts in one word ("Асme" with a Cyrillic A): shown before approving. */
      nameWarning: z.string().nullable(),
      rejectReason: z.string().nullable(),
      /** The operator's user id, the API client's id (the trail names it), or `cli` for decisions taken with the command line. */
      decidedBy: z.string().nullable(),
      decidedAt: maybeTime,
      companyId: z.string().nullable(),
    }),
  ),
});

/**
 * The console's long lists: a page (pageQuery) of what matches `q`, a piece of the company
 * name (of a request: or of the contact's email), case ignored, taken literally (`%` and
 * `_` are no wildcards); `total` counts every match, on every page.
 */
const search = { q: z.preprocess((v) => (v === '' ? undefined : v), text('Search', 100, 0).optional()) };
const total = z.number().int();
export const operatorRequestListQuery = requestListQuery.extend({ ...search, ...pageQuery });
export const requestPage = accountRequests.extend({ nextCursor, total });

export const approveBody = z.object({
  // Empty: the default from the contact's address.
  username: z.union([z.string().trim().max(0), username]).optional(),
});
export const approved = z.object({ companyId: z.uuid(), username: z.string() });
export const rejectBody = z.object({ reason: text('Reason', 1000) });

export const companies = z.object({
  companies: z.array(
    z.object({
      id: z.uuid(),
      name: z.string(),
      status: companyStatuses,
      createdAt: time,
      rootMaster: z.object({ username: z.string(), email: z.string().nullable(), signedUp: z.boolean(), enrolled: z.boolean() }).nullable(),
      invitations: z.object({ last24h: z.number().int(), last7d: z.number().int() }),
    }),
  ),
});

export const companyListQuery = z.object({ ...search, ...pageQuery });
export const companyPage = companies.extend({ nextCursor, total });

export const mailStatuses = z.enum(['pending', 'sent', 'failed']);
/** The 200 newest messages, or the 200 newest of one status (`failed`: those given up on, however old). */
export const mailListQuery = z.object({ status: z.preprocess((v) => (v === '' ? undefined : v), mailStatuses.optional()) });
export const mailList = z.object({
  messages: z.array(
    z.object({
      id: z.uuid(),
      to: z.string(),
      subject: z.string(),
      status: mailStatuses,
      attempts: z.number().int(),
      lastError: z.string().nullable(),
      createdAt: time,
      sentAt: maybeTime,
      inMailbox: z.boolean(),
    }),
  ),
});
export const mailMessage = z.object({
  id: z.uuid(),
  to: z.string(),
  from: z.string(),
  subject: z.string(),
  text: z.string(),
  html: z.string().nullable(),
  createdAt: time,
});

/** Checked as URLs by the capability (src/modules); here the text rules, so no control character gets that far. */
const url = (label: string) => text(label, 2000);
/** A module at its fields' caps (40 URIs of 2,000 characters) is 87 KB of JSON: its routes read up to 128 KiB. */
export const MODULE_BODY_LIMIT = 128 * 1024;
/**
 * What an operator sets on a module, at registration and at every edit alike (one set of
 * rules: an edit may not let through what registration refuses). The client type is
 * registration's alone: a module keeps it (src/modules/changes.ts says why).
 */
const moduleSettings = {
  name: text('Name', 100),
  description: multilineText('Description', 500).default(''),
  logoUrl: url('Logo URL').optional(),
  launchUrl: url('Launch URL'),
  redirectUris: z.array(url('Redirect URI')).min(1, 'Add at least one redirect URI.').max(20),
  postLogoutRedirectUris: z.array(url('Post-logout URI')).max(20).default([]),
  backchannelLogoutUri: url('Back-channel logout URI').optional(),
  idTokenAlg: z.enum(['RS256', 'ES256'], { error: 'Choose RS256 or ES256.' }).default('RS256'),
};
const clientType = z.enum(['confidential', 'public'], { error: 'Choose confidential or public.' });
export const moduleBody = z.object({ ...moduleSettings, clientType });
/**
 * An edit sends the whole form, as registration does: a field left out takes its
 * registration default (no logo, no back-channel logout URI, RS256). The client type may
 * be sent (the form's whole body), but only as it is.
 */
export const moduleEditBody = z.object({ ...moduleSettings, clientType: clientType.optional() });
export const moduleView = z.object({
  id: z.uuid(),
  clientId: z.string(),
  name: z.string(),
  description: z.string(),
  logoUrl: z.string().nullable(),
  launchUrl: z.string(),
  redirectUris: z.array(z.string()),
  postLogoutRedirectUris: z.array(z.string()),
  backchannelLogoutUri: z.string().nullable(),
  clientType: z.enum(['confidential', 'public']),
  idTokenAlg: z.enum(['RS256', 'ES256']),
  createdAt: time,
  /** The version of its settings (an edit's ETag): send it as If-Match to save an edit only if nobody changed them since. */
  version: z.string(),
});
export const oneModule = z.object({ module: moduleView });
export const moduleList = z.object({ modules: z.array(moduleView) });
/** The client secret is shown this once (null for a public client); only its keyed hash is kept. */
export const moduleRegistered = z.object({ module: moduleView, clientSecret: z.string().nullable() });
export const secretRotated = z.object({ clientSecret: z.string() });
export const grantParams = z.object({ id: anId(), moduleId: anId() });
export const companyGrants = z.object({ modules: z.array(z.object({ id: z.uuid(), name: z.string(), enabled: z.boolean() })) });

/** The launcher: modules the signed-in user may open now. */
export const launcher = z.object({
  modules: z.array(
    z.object({ id: z.uuid(), name: z.string(), description: z.string(), logoUrl: z.string().nullable(), launchUrl: z.string() }),
  ),
});

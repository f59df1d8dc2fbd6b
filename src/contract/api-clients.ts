// Managing API clients from the consoles: a company's Masters manage their company's
// clients, operators the platform's and every company's. A secret is in the answer to a
// create or a rotate only, once.
import { z } from 'zod';
import { apiScopeNames } from './api-v1.ts';
import { maybeTime, time } from './common.ts';
import { anId, password, text, totpCode } from './fields.ts';
import { authenticationResponse } from './security-keys.ts';

export const MAX_API_CLIENT_EXPIRY_DAYS = 3650;

/** A client id in a path; anything else is as unknown as a missing client (404). */
export const apiClientParams = z.object({ clientId: z.string().regex(/^ghapi_[A-Za-z0-9_-]{22}$/) });

export const apiClientView = z.object({
  id: z.uuid(),
  clientId: z.string(),
  name: z.string(),
  /** The company it acts for; null for a platform client. */
  companyId: z.uuid().nullable(),
  scopes: z.array(apiScopeNames),
  expiresAt: maybeTime,
  /** The user who created it, or `cli`. */
  createdBy: z.string(),
  createdAt: time,
  lastUsedAt: maybeTime,
  /** The person holding its secret is no longer an active Master: refused until a Master rotates the secret. */
  holderLeft: z.boolean(),
});
export const apiClientList = z.object({ clients: z.array(apiClientView) });
export const apiClientWithSecret = z.object({
  client: apiClientView,
  /** Shown this once: only a keyed hash is kept. */
  clientSecret: z.string(),
});
/**
 * A create's answer. `clientSecret` is null only in a repeat's answer (Idempotent-Replayed:
 * the first answer was lost): the secret was in that first answer and is never kept, so a
 * new one comes from a rotate.
 */
export const apiClientCreated = z.object({ client: apiClientView, clientSecret: z.string().nullable() });
export const apiClientDeleted = z.object({ client: apiClientView });

const clientFields = {
  name: text('Name', 100),
  // Shaped here, known or not in the capability (src/api-clients/scopes.ts), which names the scopes there are.
  scopes: z
    .array(z.string().regex(/^[a-z]{1,32}:[a-z]{1,32}$/, 'Not a scope (e.g. users:read).'), { error: 'Choose at least one scope.' })
    .min(1, 'Choose at least one scope.')
    .max(20),
  expiresInDays: z
    .number({ error: 'Expiry is a number of days.' })
    .int('Expiry is a whole number of days.')
    .min(1, 'Expiry is at least 1 day.')
    .max(MAX_API_CLIENT_EXPIRY_DAYS, `Expiry is at most ${MAX_API_CLIENT_EXPIRY_DAYS} days.`)
    .optional(),
};
/**
 * Proof before a secret is handed out (a create or a rotate), as for new recovery codes
 * (reauthProof in my-account.ts): the password and a current code, or a passkey or security
 * key's answer to POST /api/me/reauth/key-options (with the password, unless the key
 * verified its user). A secret gives a Master's rights without any second factor, so a
 * borrowed session alone must not be able to take one away.
 */
const proofFields = { password: password().optional(), code: totpCode.optional(), key: authenticationResponse.optional() };
const proofGiven = (proof: { code?: string | undefined; key?: unknown }, ctx: z.RefinementCtx) => {
  if (proof.key) return;
  if (proof.code === undefined) ctx.addIssue({ code: 'custom', path: ['code'], message: 'Enter the 6-digit code.' });
};

/** A Master's client is always for their own company. */
export const companyApiClientBody = z.object({ ...clientFields, ...proofFields }).superRefine(proofGiven);
/** An operator's: a platform client (companyId null or absent), or one for the company named. */
export const operatorApiClientBody = z
  .object({ ...clientFields, companyId: anId({ error: 'Not a company id.' }).nullable().optional(), ...proofFields })
  .superRefine(proofGiven);
/** A rotate hands out a new secret: the same proof as a create. */
export const apiClientRotateBody = z.object(proofFields).superRefine(proofGiven);

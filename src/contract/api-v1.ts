// The versioned API for API clients (/api/v1): what each route takes and answers.
import { z } from 'zod';
import { companyStatuses, nextCursor, pageQuery, time } from './common.ts';
import { anId } from './fields.ts';
import { companyUser, sessionHandle } from './company.ts';
import { accountRequests, companies, requestListQuery } from './operator.ts';

/** Tenant data is addressed by company: a company's client names its own. */
export const companyParams = z.object({ companyId: anId() });

/** What an API client may be allowed to do: a resource, read or write. */
export const API_SCOPES = [
  'users:read',
  'users:write',
  'mfa:reset',
  'policy:read',
  'policy:write',
  'audit:read',
  'modules:read',
  'modules:switch',
  'modules:write',
  'companies:read',
  'companies:write',
  'requests:read',
  'requests:write',
] as const;
export const apiScopeNames = z.enum(API_SCOPES);
export type ApiScope = (typeof API_SCOPES)[number];

/** The scopes that reach across companies: a platform client's only, never a company's. */
export const PLATFORM_ONLY_API_SCOPES: readonly ApiScope[] = ['modules:write', 'companies:read', 'companies:write', 'requests:read', 'requests:write'];

export const apiClientSelf = z.object({
  client: z.object({
    clientId: z.string(),
    name: z.string(),
    /** The company it acts for; null for a platform client (every company). */
    companyId: z.uuid().nullable(),
    scopes: z.array(apiScopeNames),
  }),
});

/** A company's users: the same user view as the company console's (one presenter). */
export const apiCompanyUsers = z.object({ users: z.array(companyUser) });

/** A user of the company, as the API shows one (the list's item and an invitation's answer). */
const apiUser = apiCompanyUsers.shape.users.element;
export const apiOneUser = z.object({ user: apiUser });

/** The long lists page by cursor (pageQuery, common.ts): `limit`, `cursor`, and `nextCursor` in the answer. */
export const userListQuery = z.object(pageQuery);
export const apiUserPage = apiCompanyUsers.extend({ nextCursor });
export const apiRequestListQuery = requestListQuery.extend(pageQuery);
export const apiRequestPage = accountRequests.extend({ nextCursor });
export const apiCompanyListQuery = z.object(pageQuery);
export const apiCompanyPage = companies.extend({ nextCursor });

export const companyUserParams = z.object({ companyId: anId(), userId: anId() });
export const companyModuleParams = z.object({ companyId: anId(), moduleId: anId() });
export const moduleParams = z.object({ moduleId: anId() });
export const companyUserSessionParams = companyUserParams.extend({ handle: sessionHandle });
export const companyApprovalParams = z.object({ companyId: anId(), approvalId: anId() });

/** One company, as an API client sees it (a company's client: its own). */
export const apiOneCompany = z.object({
  company: z.object({ id: z.uuid(), name: z.string(), status: companyStatuses, createdAt: time }),
});
export const requestParams = z.object({ requestId: anId() });

/**
 * Creates take an optional Idempotency-Key: the same key with the same body within 24 hours
 * answers the first result again (with Idempotent-Replayed: true); with another body, 422.
 */
export const idempotencyHeaders = z.object({
  'idempotency-key': z
    .string()
    .regex(/^[\x21-\x7e]{1,255}$/, 'An Idempotency-Key is 1 to 255 visible ASCII characters.')
    .optional(),
});

/**
 * Every /api/v1 refusal: RFC 9457 problem details (docs/API.md, "Errors"), as
 * src/http/error-handler.ts writes them. Named `Problem` in the OpenAPI document, where
 * every /api/v1 operation's error answers refer to it (src/http/openapi-answers.ts).
 */
export const problemDetails = z.object({
  type: z
    .string()
    .regex(/^urn:gatehouse:error:[a-z0-9_.]+$/)
    .describe('Names the error for good: `urn:gatehouse:error:` and its code.'),
  title: z.string().describe('What went wrong, safe to show to whoever made the request.'),
  status: z.number().int().describe("The answer's HTTP status."),
  code: z.string().describe('The stable error code (docs/API.md).'),
  fields: z.record(z.string(), z.string()).optional().describe('On `400 request.invalid`: a message per request field refused, keyed by its name.'),
});

// The versioned API for API clients (/api/v1): what each route takes and answers.
import { z } from 'zod';
import { maybeTime, roles, time } from './common.ts';

/** Tenant data is addressed by company: a company's client names its own. */
export const companyParams = z.object({ companyId: z.uuid() });

/** What an API client may be allowed to do: a resource, read or write. */
export const API_SCOPES = [
  'users:read',
  'users:write',
  'policy:read',
  'policy:write',
  'audit:read',
  'modules:read',
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

export const apiCompanyUsers = z.object({
  users: z.array(
    z.object({
      id: z.uuid(),
      username: z.string(),
      displayName: z.string(),
      email: z.string(),
      role: roles,
      status: z.enum(['invited', 'not_enrolled', 'active', 'disabled']),
      locked: z.boolean(),
      createdAt: time,
      lastLoginAt: maybeTime,
    }),
  ),
});

/** A user of the company, as the API shows one (the list's item and an invitation's answer). */
const apiUser = apiCompanyUsers.shape.users.element;
export const apiOneUser = z.object({ user: apiUser });

export const companyUserParams = z.object({ companyId: z.uuid(), userId: z.uuid() });
export const requestParams = z.object({ requestId: z.uuid() });

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

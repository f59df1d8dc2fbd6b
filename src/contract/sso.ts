// Single sign-on per company: a Master's identity providers (SAML 2.0 or OpenID Connect),
// who may still use a password, and what Gatehouse tells the provider about itself.
import { z } from 'zod';
import { maybeTime, time } from './common.ts';
import { anId, fileText, isSingleLine, text } from './fields.ts';

export const SSO_MODES = ['sso-only', 'sso-plus-password'] as const;
export const ssoMode = z.enum(SSO_MODES, { error: 'Choose sso-only or sso-plus-password.' });

const url = (label: string) => text(label, 2000).refine((value) => URL.canParse(value), `${label} must be a full URL.`);
const common = {
  name: text('Name', 100),
  usernameAttribute: text('Username attribute', 200),
  /** The attribute or claim listing the user's groups; empty or absent: memberships stay as Masters set them. */
  groupsAttribute: text('The groups attribute', 200, 0).optional(),
  trustProviderMfa: z.boolean({ error: 'Say whether to trust the provider’s MFA.' }),
};

/** The longest metadata XML taken: AD FS and Shibboleth metadata listing many claims run past 64 KiB. */
export const MAX_METADATA_CHARACTERS = 500_000;
/** The longest signing certificate (PEM or base64), and how many: the current one and, during a rollover, the next. */
export const MAX_CERTIFICATE_CHARACTERS = 20_000;
export const MAX_CERTIFICATES = 2;

export const samlProviderBody = z.object({
  kind: z.literal('saml'),
  ...common,
  /** The provider's metadata XML; when given, it fills in the three fields below. */
  metadataXml: fileText('The metadata', MAX_METADATA_CHARACTERS).optional(),
  entityId: text('Entity ID', 1000).optional(),
  ssoUrl: url('SSO URL').optional(),
  /** Up to two signing certificates (PEM or base64): the current one and, during a rollover, the next. */
  certificates: z
    .array(fileText('A certificate', MAX_CERTIFICATE_CHARACTERS))
    .max(MAX_CERTIFICATES, 'At most two certificates: the current one and the next.')
    .optional(),
});

export const oidcProviderBody = z.object({
  kind: z.literal('oidc'),
  ...common,
  issuer: url('Issuer URL'),
  clientId: text('Client ID', 500),
  /** Required when adding; when editing, leave it out to keep the stored one. */
  clientSecret: z
    .string()
    .max(1000, 'The client secret can have at most 1,000 characters.')
    .refine(isSingleLine, 'The client secret contains characters that are not allowed.')
    .optional(),
});

export const ssoProviderBody = z.discriminatedUnion('kind', [samlProviderBody, oidcProviderBody], {
  error: 'Choose saml or oidc.',
});

export const ssoProvider = z.object({
  id: z.uuid(),
  /** The version of its settings (the edit's ETag): send it as If-Match to save an edit only if nobody changed them since. */
  version: z.string(),
  kind: z.enum(['saml', 'oidc']),
  name: z.string(),
  enabled: z.boolean(),
  usernameAttribute: z.string(),
  groupsAttribute: z.string().nullable(),
  trustProviderMfa: z.boolean(),
  /** When Test sign-in last succeeded with these settings; null until then. */
  testedAt: maybeTime,
  createdAt: time,
  updatedAt: time,
  saml: z
    .object({
      entityId: z.string(),
      ssoUrl: z.string(),
      certificates: z.array(z.object({ subject: z.string(), notAfter: z.string(), fingerprint: z.string() })),
    })
    .nullable(),
  oidc: z.object({ issuer: z.string(), clientId: z.string(), hasClientSecret: z.boolean() }).nullable(),
});
export const oneSsoProvider = z.object({ provider: ssoProvider });

export const ssoOverview = z.object({
  mode: ssoMode,
  breakGlassUserIds: z.array(z.uuid()),
  /** The version of the mode and break-glass users, also the answer's ETag: send it as If-Match to save them only if nobody changed them since. */
  version: z.string(),
  providers: z.array(ssoProvider),
  /** What to give the provider. */
  serviceProvider: z.object({ entityId: z.string(), metadataUrl: z.string(), acsUrl: z.string(), oidcRedirectUri: z.string() }),
});

export const ssoSettingsBody = z.object({
  mode: ssoMode.optional(),
  breakGlassUserIds: z.array(anId({ error: 'Choose users from the list.' })).max(100, 'At most 100 break-glass users.').optional(),
});
export const ssoEnabledBody = z.object({ enabled: z.boolean({ error: 'Say on or off.' }) });

export const ssoTestParams = z.object({ id: anId(), testId: z.string().regex(/^_[0-9a-f]{40}$|^[0-9a-f]{64}$/) });
export const ssoTestStarted = z.object({ testId: z.string(), redirectTo: z.string() });
export const ssoTestResult = z.object({
  status: z.enum(['waiting', 'succeeded', 'failed']),
  /** Who the provider said signed in (succeeded). */
  identity: z
    .object({ username: z.string(), displayName: z.string(), email: z.string(), mfa: z.boolean(), method: z.string().nullable(), groups: z.array(z.string()).nullable() })
    .optional(),
  /** Why it failed, in words a Master can act on (failed). */
  reason: z.string().optional(),
});

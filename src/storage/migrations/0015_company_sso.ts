// Single sign-on per company (issue 11): the company's identity providers (SAML 2.0 or
// OpenID Connect), the company's SSO mode and its break-glass users, the requests sent
// to a provider (single use, bound to the login flow or the Master's test), and the
// assertion ids already accepted (a replayed assertion is refused). A login flow records
// whether its first factor was a password or the provider, so the session's amr is true.
import type { Kysely } from 'kysely';

const bigint = 'bigint' as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('sso_providers')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('company_id', 'text', (c) => c.notNull().references('companies.id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('saml_entity_id', 'text')
    .addColumn('saml_sso_url', 'text')
    /** JSON array of PEM certificates (at most two: the current one and the next). */
    .addColumn('saml_certs', 'text')
    .addColumn('oidc_issuer', 'text')
    .addColumn('oidc_client_id', 'text')
    /** Encrypted (secret box, bound to the provider's id). */
    .addColumn('oidc_client_secret', 'text')
    .addColumn('username_attribute', 'text', (c) => c.notNull())
    /** The attribute or claim naming the user's groups; null: group memberships are managed in Gatehouse. */
    .addColumn('groups_attribute', 'text')
    .addColumn('trust_provider_mfa', 'integer', (c) => c.notNull().defaultTo(0))
    /** When a Master's "Test sign-in" last succeeded with the settings as they are now. */
    .addColumn('tested_at', bigint)
    .addColumn('created_at', bigint, (c) => c.notNull())
    .addColumn('updated_at', bigint, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('sso_providers_company').on('sso_providers').column('company_id').execute();

  await db.schema
    .createTable('sso_requests')
    /** The SAML AuthnRequest ID, or the SHA-256 of the OIDC state. */
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('company_id', 'text', (c) => c.notNull().references('companies.id'))
    .addColumn('provider_id', 'text', (c) => c.notNull())
    .addColumn('purpose', 'text', (c) => c.notNull())
    /** The login flow (its id hash) that started it, for a sign-in. */
    .addColumn('flow_hash', 'text')
    /** The Master's session (its id hash) that started it, for a test. */
    .addColumn('session_hash', 'text')
    .addColumn('nonce', 'text')
    /** OIDC PKCE verifier, encrypted. */
    .addColumn('code_verifier', 'text')
    /** A test's outcome (JSON), for the Master's page to read once back. */
    .addColumn('result', 'text')
    .addColumn('expires_at', bigint, (c) => c.notNull())
    .addColumn('used_at', bigint)
    .addColumn('created_at', bigint, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('sso_requests_expires').on('sso_requests').column('expires_at').execute();

  await db.schema
    .createTable('sso_assertions')
    .addColumn('provider_id', 'text', (c) => c.notNull())
    .addColumn('assertion_id', 'text', (c) => c.notNull())
    .addColumn('expires_at', bigint, (c) => c.notNull())
    .addPrimaryKeyConstraint('sso_assertions_pk', ['provider_id', 'assertion_id'])
    .execute();

  await db.schema.alterTable('companies').addColumn('sso_mode', 'text', (c) => c.notNull().defaultTo('sso-plus-password')).execute();
  await db.schema.alterTable('users').addColumn('sso_break_glass', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('login_flows').addColumn('first_factor', 'text', (c) => c.notNull().defaultTo('pwd')).execute();
}

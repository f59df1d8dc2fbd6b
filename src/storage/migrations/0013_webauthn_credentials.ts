// Passkeys and security keys (WebAuthn, issue 9). A credential belongs to one user of one
// company; its id is what the authenticator names it by, unique per company like every
// tenant key. Challenges live server-side, one per binding (a login flow's or a session's
// hash) and purpose: a new one replaces the old, and verifying deletes it (single use).
// A company's policy may require them: off, for Masters only, or for everyone.
import type { Kysely } from 'kysely';

const bigint = 'bigint' as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('companies')
    .addColumn('phishing_resistant', 'text', (c) => c.notNull().defaultTo('off'))
    .execute();

  await db.schema
    .createTable('webauthn_credentials')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('company_id', 'text', (c) => c.notNull().references('companies.id'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    /** base64url, as the browser reports it. */
    .addColumn('credential_id', 'text', (c) => c.notNull())
    /** base64url COSE public key. */
    .addColumn('public_key', 'text', (c) => c.notNull())
    .addColumn('counter', bigint, (c) => c.notNull().defaultTo(0))
    /** JSON array of transports (usb, nfc, ble, internal, hybrid). */
    .addColumn('transports', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('aaguid', 'text', (c) => c.notNull())
    .addColumn('device_type', 'text', (c) => c.notNull())
    .addColumn('backed_up', 'integer', (c) => c.notNull().defaultTo(0))
    /** 1 once the authenticator has verified the user (PIN or biometrics). */
    .addColumn('user_verified', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', bigint, (c) => c.notNull())
    .addColumn('last_used_at', bigint)
    .execute();
  await db.schema
    .createIndex('webauthn_credentials_credential')
    .on('webauthn_credentials')
    .columns(['company_id', 'credential_id'])
    .unique()
    .execute();
  await db.schema.createIndex('webauthn_credentials_user').on('webauthn_credentials').columns(['company_id', 'user_id']).execute();

  await db.schema
    .createTable('webauthn_challenges')
    /** SHA-256 of what the challenge is bound to: a login flow's id hash or a session's. */
    .addColumn('binding_hash', 'text', (c) => c.notNull())
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('company_id', 'text')
    .addColumn('user_id', 'text')
    .addColumn('challenge', 'text', (c) => c.notNull())
    .addColumn('expires_at', bigint, (c) => c.notNull())
    .addColumn('created_at', bigint, (c) => c.notNull())
    .addPrimaryKeyConstraint('webauthn_challenges_pk', ['binding_hash', 'purpose'])
    .execute();
  await db.schema.createIndex('webauthn_challenges_expiry').on('webauthn_challenges').column('expires_at').execute();
}

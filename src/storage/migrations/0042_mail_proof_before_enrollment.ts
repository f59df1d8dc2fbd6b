// After a 2FA reset by someone else (a Master, an API client, an operator's lost-key
// recovery), the next enrollment waits for a code mailed to the user (src/login/mail-proof.ts):
// until then whoever knew the password enrolled the next factor. users.enroll_mail_proof
// marks such an account until it has a factor again; a login flow keeps the code it mailed
// (keyed hash), when, how many, and when the code was proved. Existing users start at 0.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('users').addColumn('enroll_mail_proof', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('login_flows').addColumn('mail_code_hash', 'text').execute();
  await db.schema.alterTable('login_flows').addColumn('mail_code_sent_at', 'bigint').execute();
  await db.schema.alterTable('login_flows').addColumn('mail_codes_sent', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('login_flows').addColumn('mail_proved_at', 'bigint').execute();
}

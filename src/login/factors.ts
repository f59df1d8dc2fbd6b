// Whether a user has a second factor, and what follows from it. One rule, the app or at
// least one key, sends every first factor (the password, the company's provider) on to the
// code step or to enrollment; and the enroll step holds to the same rule at the moment it
// writes, so a login that reached it while the account had no factor cannot enroll one
// over the factor the owner has set up since.
import { GatehouseError } from '../errors.ts';
import type { Queryable } from '../storage/index.ts';
import { endUnfinishedLogins, type UserRow } from '../users/index.ts';
import { countCredentials } from '../webauthn/index.ts';
import type { FlowRow } from './flows.ts';

/** The authenticator app, or at least one passkey or security key. */
export function hasSecondFactor(user: Pick<UserRow, 'totp_secret'>, keys: number): boolean {
  return user.totp_secret !== null || keys > 0;
}

/**
 * After the first factor: the code step for a user with a second factor, enrollment for
 * one without; after a 2FA reset by someone else, first the code mailed to the user
 * (mail-proof.ts), so the password alone does not choose the next factor.
 */
export function stepAfterFirstFactor(user: Pick<UserRow, 'totp_secret' | 'enroll_mail_proof'>, keys: number): 'totp' | 'mail_code' | 'enroll' {
  if (hasSecondFactor(user, keys)) return 'totp';
  return user.enroll_mail_proof === 1 ? 'mail_code' : 'enroll';
}

/** The enroll step's pages (the QR code, a key's options): a user who has a factor by now is past them. */
export async function refuseIfEnrolled(db: Queryable, user: Pick<UserRow, 'company_id' | 'id' | 'totp_secret'>): Promise<void> {
  if (hasSecondFactor(user, await countCredentials(db, user.company_id, user.id))) throw new GatehouseError('login.flow_expired');
}

/**
 * The enroll step's way through, first in the enrollment's transaction: the user still
 * has no second factor, else this login is over. The user's row is locked first (a no-op
 * write), so of two enrollments at once, in two logins, the second waits for the first to
 * commit; the keys are counted after the lock, in a statement of their own, so on
 * PostgreSQL (read committed) it sees the key the first one added, and on SQLite the
 * transaction holds the database anyway. The user has a factor from here on, so every other
 * unfinished login of theirs ends: one left at the enroll step had only the password.
 * An account waiting for mailed proof (a 2FA reset by someone else) enrolls only from a
 * login that proved the mailed code; the enrollment then clears the mark.
 */
export async function claimFirstEnrollment(tx: Queryable, flow: FlowRow & { company_id: string; user_id: string }): Promise<Pick<UserRow, 'role'>> {
  const user = await tx
    .updateTable('users')
    .set((eb) => ({ failed_logins: eb.ref('failed_logins') }))
    .where('company_id', '=', flow.company_id)
    .where('id', '=', flow.user_id)
    .returning(['totp_secret', 'role', 'enroll_mail_proof'])
    .executeTakeFirst();
  if (!user || hasSecondFactor(user, await countCredentials(tx, flow.company_id, flow.user_id))) throw new GatehouseError('login.flow_expired');
  if (user.enroll_mail_proof === 1) {
    if (!flow.mail_proved_at) throw new GatehouseError('login.flow_expired');
    await tx.updateTable('users').set({ enroll_mail_proof: 0 }).where('company_id', '=', flow.company_id).where('id', '=', flow.user_id).execute();
  }
  await endUnfinishedLogins(tx, flow.company_id, flow.user_id, flow.id_hash);
  return user;
}

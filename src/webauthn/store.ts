// Passkey and security-key rows, always by company, and their challenges. A challenge
// is taken by deleting it (one statement whose returned row says who won), so it works
// once however many requests race for it; the expiry is checked on what was taken.
import { newId } from '../crypto/index.ts';
import type { Queryable } from '../storage/index.ts';
import type { WebauthnChallengesTable, WebauthnCredentialsTable } from '../storage/schema.ts';

export type CredentialRow = WebauthnCredentialsTable;
export type ChallengePurpose = WebauthnChallengesTable['purpose'];

/** Five minutes: the ceremony's timeout, and how long the server keeps its challenge. */
export const CHALLENGE_TTL_MS = 5 * 60_000;

export async function saveChallenge(
  db: Queryable,
  input: { bindingHash: string; purpose: ChallengePurpose; companyId: string | null; userId: string | null; challenge: string },
  now: number,
): Promise<void> {
  const row = {
    binding_hash: input.bindingHash,
    purpose: input.purpose,
    company_id: input.companyId,
    user_id: input.userId,
    challenge: input.challenge,
    expires_at: now + CHALLENGE_TTL_MS,
    created_at: now,
  };
  // A new ceremony replaces the one before it: only the latest challenge can be answered.
  await db
    .insertInto('webauthn_challenges')
    .values(row)
    .onConflict((oc) => oc.columns(['binding_hash', 'purpose']).doUpdateSet({ challenge: row.challenge, company_id: row.company_id, user_id: row.user_id, expires_at: row.expires_at, created_at: now }))
    .execute();
  await db.deleteFrom('webauthn_challenges').where('expires_at', '<', now - CHALLENGE_TTL_MS).execute();
}

/** Takes the pending challenge (single use); undefined when there is none or it expired. */
export async function takeChallenge(db: Queryable, bindingHash: string, purpose: ChallengePurpose, now: number) {
  const taken = await db
    .deleteFrom('webauthn_challenges')
    .where('binding_hash', '=', bindingHash)
    .where('purpose', '=', purpose)
    .returning(['challenge', 'company_id', 'user_id', 'expires_at'])
    .executeTakeFirst();
  return taken && taken.expires_at > now ? taken : undefined;
}

export async function insertCredential(
  db: Queryable,
  input: Omit<CredentialRow, 'id' | 'last_used_at' | 'switched_off_at'>,
): Promise<CredentialRow> {
  const row: CredentialRow = { ...input, id: newId(), last_used_at: null, switched_off_at: null };
  await db.insertInto('webauthn_credentials').values(row).execute();
  return row;
}

export async function listCredentials(db: Queryable, companyId: string, userId: string): Promise<CredentialRow[]> {
  return db
    .selectFrom('webauthn_credentials')
    .selectAll()
    .where('company_id', '=', companyId)
    .where('user_id', '=', userId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

/** The keys that still sign in: those no copy was seen of (switchCredentialOff). */
export async function listSwitchedOnCredentials(db: Queryable, companyId: string, userId: string): Promise<CredentialRow[]> {
  return (await listCredentials(db, companyId, userId)).filter((row) => row.switched_off_at === null);
}

/**
 * Every key the user registered, switched off or not: whether the user has enrolled a
 * second factor (login/factors.ts). A key switched off still counts there, so the password
 * alone never sets up a factor over it; for what signs in, countSwitchedOnCredentials.
 */
export async function countCredentials(db: Queryable, companyId: string, userId: string): Promise<number> {
  return countKeys(db, companyId, userId, false);
}

/** The keys that still sign in: what a policy that requires a key counts, and the last way in. */
export async function countSwitchedOnCredentials(db: Queryable, companyId: string, userId: string): Promise<number> {
  return countKeys(db, companyId, userId, true);
}

async function countKeys(db: Queryable, companyId: string, userId: string, switchedOnOnly: boolean): Promise<number> {
  const row = await db
    .selectFrom('webauthn_credentials')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('company_id', '=', companyId)
    .where('user_id', '=', userId)
    .$if(switchedOnOnly, (qb) => qb.where('switched_off_at', 'is', null))
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** One of the user's credentials by the id the authenticator gave. */
export async function findUserCredential(db: Queryable, companyId: string, userId: string, credentialId: string) {
  return db
    .selectFrom('webauthn_credentials')
    .selectAll()
    .where('company_id', '=', companyId)
    .where('user_id', '=', userId)
    .where('credential_id', '=', credentialId)
    .executeTakeFirst();
}

/**
 * The one lookup not started from a company: a discoverable credential names its user
 * (the user handle is the user's id), and the credential row names the company, the way
 * the identify step finds a company by name. Both must match the same row.
 */
export async function findDiscoverableCredential(db: Queryable, userId: string, credentialId: string) {
  return db
    .selectFrom('webauthn_credentials')
    .selectAll()
    .where('user_id', '=', userId)
    .where('credential_id', '=', credentialId)
    .executeTakeFirst();
}

/**
 * Records a use: the counter moves only forward, from the value that was read, so two
 * racing assertions with one counter value cannot both pass. Authenticators that keep
 * no counter report 0 every time; for those, 0 stays 0. Only while the key is switched on:
 * a copy refused while this answer was checked switches it off, and this use loses.
 */
export async function recordUse(db: Queryable, row: CredentialRow, newCounter: number, userVerified: boolean, now: number): Promise<boolean> {
  const result = await db
    .updateTable('webauthn_credentials')
    .set({ counter: newCounter, last_used_at: now, ...(userVerified ? { user_verified: 1 } : {}) })
    .where('company_id', '=', row.company_id)
    .where('id', '=', row.id)
    .where('counter', '=', row.counter)
    .where('switched_off_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/**
 * Switches a key off for good (WebAuthn §6.1.1: a counter gone backwards means a copy of
 * it is in use, and which of the two is the original no answer tells). True for the
 * request that switched it off; false when it was off already (a twin refusal did it).
 * Nothing here or elsewhere switches a key back on: its owner removes it and adds it again.
 */
export async function switchCredentialOff(db: Queryable, row: Pick<CredentialRow, 'company_id' | 'id'>, now: number): Promise<boolean> {
  const result = await db
    .updateTable('webauthn_credentials')
    .set({ switched_off_at: now })
    .where('company_id', '=', row.company_id)
    .where('id', '=', row.id)
    .where('switched_off_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** The key renamed; undefined when there is no such key, or it has that name already. */
export async function renameCredential(db: Queryable, companyId: string, userId: string, id: string, name: string): Promise<CredentialRow | undefined> {
  return db
    .updateTable('webauthn_credentials')
    .set({ name })
    .where('company_id', '=', companyId)
    .where('user_id', '=', userId)
    .where('id', '=', id)
    .where('name', '<>', name)
    .returningAll()
    .executeTakeFirst();
}

export async function deleteCredential(db: Queryable, companyId: string, userId: string, id: string): Promise<CredentialRow | undefined> {
  return db
    .deleteFrom('webauthn_credentials')
    .where('company_id', '=', companyId)
    .where('user_id', '=', userId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}

export async function deleteAllCredentials(db: Queryable, companyId: string, userId: string): Promise<number> {
  const result = await db.deleteFrom('webauthn_credentials').where('company_id', '=', companyId).where('user_id', '=', userId).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** A user's unanswered ceremonies (bound to their sessions and login flows): gone with the user. */
export async function deleteUserChallenges(db: Queryable, companyId: string, userId: string): Promise<void> {
  await db.deleteFrom('webauthn_challenges').where('company_id', '=', companyId).where('user_id', '=', userId).execute();
}

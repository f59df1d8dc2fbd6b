// Ends what the provider holds: everything of one user (provider sessions, grants, codes,
// access and refresh tokens, including any made before grants were bound to sessions),
// part of ending everything of one user (../backchannel/end-access.ts); and the
// client-credentials tokens of some clients (a suspended company's API clients).
import type { SelectQueryBuilder } from 'kysely';
import type { Queryable } from '../../storage/index.ts';
import type { Database } from '../../storage/schema.ts';
import { accountIdOf } from './account.ts';
import { payloadField } from './token-reads.ts';

export async function revokeAccountTokens(db: Queryable, companyId: string, userId: string): Promise<void> {
  const accountId = accountIdOf(companyId, userId);
  const grants = await db
    .selectFrom('oidc_records')
    .select('id')
    .where('model', '=', 'Grant')
    .where('account_id', '=', accountId)
    .execute();
  // A grant is stored under its own id (stored-ids.ts), the one grant_id names.
  const grantIds = grants.map((g) => g.id);
  await db
    .deleteFrom('oidc_records')
    .where((eb) =>
      eb.or([eb('account_id', '=', accountId), ...(grantIds.length > 0 ? [eb('grant_id', 'in', grantIds)] : [])]),
    )
    .execute();
}

/**
 * Every client-credentials token issued to the clients `clientIds` selects, gone from the
 * store, in one statement: the api-client guard finds none of them again. The client id
 * is only in the payload.
 */
export async function revokeClientCredentials(db: Queryable, clientIds: SelectQueryBuilder<Database, keyof Database, { client_id: string }>): Promise<void> {
  const issuedToThem = db
    .selectFrom('oidc_records as token')
    .select('token.id')
    .where('token.model', '=', 'ClientCredentials')
    .where(payloadField(db, 'clientId'), 'in', clientIds);
  await db.deleteFrom('oidc_records').where('model', '=', 'ClientCredentials').where('id', 'in', issuedToThem).execute();
}

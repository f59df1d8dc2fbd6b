// Ends everything the provider holds for one user: provider sessions, grants, codes,
// access and refresh tokens, including any made before grants were bound to sessions.
// Part of ending everything of one user (../backchannel/end-access.ts).
import type { Queryable } from '../../storage/index.ts';
import { accountIdOf } from './account.ts';

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

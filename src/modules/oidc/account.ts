// The account behind a token: accountId is "<companyId>.<userId>", so even here a user
// is only ever looked up together with its company. A disabled user or a suspended
// company has no account, which stops refresh, userinfo and silent sign-in at once; so
// does a module the company may no longer use (grant revoked, or switched off), or one
// the user's groups no longer allow (modules/access.ts).
import type { Db } from '../../storage/index.ts';
import { fixedQuery } from '../../shared/fixed-query.ts';
import { moduleAccessColumns, moduleAccessOf } from '../access.ts';
import { rememberForRequest } from './request-memo.ts';
import { accountKey } from './token-reads.ts';

export const ACR_2FA = 'urn:gatehouse:loa:2fa';
/** Signed in with a passkey or security key: bound to Gatehouse's origin, so it cannot be phished. */
export const ACR_PHISHING_RESISTANT = 'urn:gatehouse:loa:phishing-resistant';

/** The acr a session earns: phishing-resistant when a key signed (RFC 8176 hwk or swk in its amr). */
export function acrOf(amr: readonly string[]): string {
  return amr.includes('hwk') || amr.includes('swk') ? ACR_PHISHING_RESISTANT : ACR_2FA;
}

export function accountIdOf(companyId: string, userId: string): string {
  return `${companyId}.${userId}`;
}

export function parseAccountId(accountId: string): { companyId: string; userId: string } | undefined {
  const [companyId, userId, extra] = accountId.split('.');
  return companyId && userId && extra === undefined ? { companyId, userId } : undefined;
}

// Read by every userinfo, refresh and code exchange: compiled once (fixed-query.ts).
const accountRow = fixedQuery((db, companyId: string, userId: string) => accountQuery(db, companyId, userId));
// A token in use asks for the account and whether its user may still use the module:
// one statement for both.
const accountWithAccessRow = fixedQuery((db, companyId: string, userId: string, clientId: string) =>
  accountQuery(db, companyId, userId).select(moduleAccessColumns(companyId, userId, clientId)),
);

function accountQuery(db: Db, companyId: string, userId: string) {
  return db
    .selectFrom('users')
    .innerJoin('companies', 'companies.id', 'users.company_id')
    .select([
      'users.username',
      'users.display_name as displayName',
      'users.email',
      'users.email_verified_at as emailVerifiedAt',
      'users.status',
      'companies.id as companyId',
      'companies.name as companyName',
      'companies.status as companyStatus',
    ])
    .where('users.company_id', '=', companyId)
    .where('users.id', '=', userId);
}

/** The account, if it is still active; with `clientId` (a token in use), only if the user may use that module. */
export async function findAccount(db: Db, accountId: string, clientId?: string) {
  const ids = parseAccountId(accountId);
  if (!ids) return undefined;
  let row;
  if (clientId === undefined) [row] = await accountRow(db, ids.companyId, ids.userId);
  else {
    // A token's read may have brought this row along already (token-reads.ts).
    const load = () => accountWithAccessRow(db, ids.companyId, ids.userId, clientId);
    const [withAccess] = await rememberForRequest(accountKey(ids.companyId, ids.userId, clientId), load);
    if (moduleAccessOf(withAccess) !== 'allowed') return undefined;
    row = withAccess;
  }
  if (!row || row.status !== 'active' || row.companyStatus !== 'active') return undefined;
  return accountOf(accountId, row);
}

/** What an account's claims are made of: its user and company, as read (both active). */
export interface AccountData {
  username: string;
  displayName: string;
  email: string;
  /** When a link mailed to `email` was last used; null: not known to reach the user. */
  emailVerifiedAt: number | null;
  companyId: string;
  companyName: string;
}

/** The provider's account for `accountId`, from its user and company as read. */
export function accountOf(accountId: string, data: AccountData) {
  return {
    accountId,
    async claims() {
      return {
        sub: accountId,
        preferred_username: data.username,
        name: data.displayName,
        // A user with no address (one the company's provider created without a verified
        // one) has no email claims. An address counts as verified only once a link mailed
        // to it was used (Sign Up, an email change's confirmation, a reset): one the
        // company's provider named was not, and a module that links accounts by a
        // verified address must not take it as such.
        ...(data.email ? { email: data.email, email_verified: data.emailVerifiedAt !== null } : {}),
        company: { id: data.companyId, name: data.companyName },
      };
    },
  };
}

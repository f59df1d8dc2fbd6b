// What identify decides on, read in one statement where it took three (the company by
// its name, the user by theirs in that company, the company's provider). The user and
// provider are looked for whether or not the company exists (under an id no row has), so
// an unknown company costs what a known one does: identify's answer and its time say
// nothing about which names exist.
import { sql } from 'kysely';
import { fixedQuery } from '../shared/fixed-query.ts';
import { nameLookup, namedRow } from '../shared/text.ts';
import type { Queryable } from '../storage/index.ts';
import { idsOfUsersNamed } from '../users/index.ts';
import { NO_SUCH_ID } from '../shared/no-such-id.ts';

export interface IdentifiedNames {
  companyId: string | null;
  userId: string | null;
  /** The company's single sign-on provider, when one is switched on. */
  provider: { name: string } | null;
}

// A fixed query (shared/fixed-query.ts): compiled once, and on PostgreSQL prepared once per
// connection. Its arguments are the two names' lookup keys (text.ts nameLookup).
const identifiedRows = fixedQuery(
  (db, companyKey: string, companyLegacy: string, companyCaseKey: string, userKey: string, userLegacy: string, userCaseKey: string) => {
    const companyOrNone = sql<string>`coalesce(companies.id, ${NO_SUCH_ID})`;
    return db
      .selectFrom(sql<{ one: number }>`(select 1 as one)`.as('probe'))
      .leftJoin('companies', (join) =>
        join.on((eb) => eb.or([eb('companies.name_key', 'in', [companyKey, companyLegacy]), eb('companies.case_key', '=', companyCaseKey)])),
      )
      .leftJoin('users', (join) => join.on('users.id', 'in', idsOfUsersNamed(db, companyOrNone, { key: userKey, legacy: userLegacy, caseKey: userCaseKey })))
      .leftJoin('sso_providers', (join) => join.on('sso_providers.company_id', '=', companyOrNone).on('sso_providers.enabled', '=', 1))
      .select(['companies.id as company_id', 'companies.name_key', 'users.id as user_id', 'users.username_key', 'sso_providers.name as provider']);
  },
);

export async function readIdentifiedNames(db: Queryable, companyName: string, username: string): Promise<IdentifiedNames> {
  const [named, user] = [nameLookup(companyName), nameLookup(username)];
  const rows = await identifiedRows(db, named.key, named.legacy, named.caseKey, user.key, user.legacy, user.caseKey);
  // Up to two companies (a flagged one answers to its exact name first), each with up to two users.
  const company = namedRow(
    rows.filter((row) => row.company_id !== null),
    named,
    (row) => row.name_key,
  );
  if (!company) return { companyId: null, userId: null, provider: null };
  const ofCompany = rows.filter((row) => row.company_id === company.company_id);
  const found = namedRow(
    ofCompany.filter((row) => row.user_id !== null),
    user,
    (row) => row.username_key,
  );
  const provider = ofCompany.find((row) => row.provider !== null)?.provider ?? null;
  return { companyId: company.company_id, userId: found?.user_id ?? null, provider: provider === null ? null : { name: provider } };
}

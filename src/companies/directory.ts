// The operator's list of tenant companies with the state of their Root Master.
import type { Queryable } from '../storage/index.ts';

export async function listCompanies(db: Queryable) {
  const rows = await db
    .selectFrom('companies')
    .leftJoin('users', (join) =>
      join.onRef('users.company_id', '=', 'companies.id').on('users.role', '=', 'root_master'),
    )
    .select([
      'companies.id as id',
      'companies.name as name',
      'companies.status as status',
      'companies.created_at as createdAt',
      'users.username as username',
      'users.email as email',
      'users.password_hash as passwordHash',
      'users.totp_enrolled_at as totpEnrolledAt',
    ])
    .where('companies.is_platform', '=', 0)
    .orderBy('companies.created_at', 'desc')
    .limit(1000)
    .execute();
  return rows.map(({ passwordHash, totpEnrolledAt, ...row }) => ({
    ...row,
    signedUp: passwordHash !== null,
    enrolled: totpEnrolledAt !== null,
  }));
}

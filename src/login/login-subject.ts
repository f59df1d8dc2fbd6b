// What the login's steps decide on about the person signing in, read in one statement
// where it took five (on PostgreSQL, five round trips): the user, found by company and id
// as every user lookup is; the company's status, sign-in mode and policy; whether its
// provider is switched on; and how many keys the user has, and how many of them still
// sign in. The password step reads the address's throttle in the same statement (and runs
// it whether or not the flow names a user, so both cost the same); the code step reads its
// flow with it (flow-cookie.ts).
import { sql, type Selectable } from 'kysely';
import { POLICY_COLUMNS, policyFromRow, type CompanyPolicy } from '../companies/index.ts';
import type { Queryable } from '../storage/index.ts';
import type { CompaniesTable } from '../storage/schema.ts';
import type { UserRow } from '../users/index.ts';
import { hashToken } from '../crypto/index.ts';
import { ipFailuresSince, throttleArguments } from './ip-throttle.ts';
import { fixedQuery } from '../shared/fixed-query.ts';
import type { FlowRow } from './flows.ts';
import { NO_SUCH_ID } from '../shared/no-such-id.ts';

export interface LoginSubject {
  user: UserRow;
  companyActive: boolean;
  policy: CompanyPolicy;
  /** The company signs in only through its provider, which is on, and this user is not one of its break-glass users. */
  passwordClosedBySso: boolean;
  /** The user's passkeys and security keys that sign in: not those switched off (a copy of them was seen). */
  keys: number;
  /** Every key the user registered, switched off or not: whether they enrolled a second factor (factors.ts). */
  registeredKeys: number;
}

/**
 * Whether the password step is closed to this user: the company signs in through its
 * provider in 'sso-only' mode, and the user is not one of its named break-glass users.
 * Never for the Root Master: a provider may not sign the Root Master in (src/sso/sign-in.ts),
 * so their password is their way in whatever a Master set. Read with its parts
 * (subjectRow) by every sign-in that checks it: password and passkey.
 */
export function passwordClosedFor(user: { sso_break_glass: number; role: string }, company: { providerOn: boolean; ssoMode: string | null }): boolean {
  return user.role !== 'root_master' && user.sso_break_glass !== 1 && company.providerOn && company.ssoMode === 'sso-only';
}

// Made on first use, not while this module loads: the capabilities import each other, and
// which door a process imports first decides whether POLICY_COLUMNS is there yet
// (src/module-load.test.ts).
const companyColumnList = () => ['companies.status as company_status', 'companies.sso_mode', ...POLICY_COLUMNS.map((column) => `companies.${column}` as const)] as const;
let madeCompanyColumns: ReturnType<typeof companyColumnList> | undefined;
const companyColumns = () => (madeCompanyColumns ??= companyColumnList());
let madePolicyColumnSet: Set<string> | undefined;
// Scalar subqueries on the joined user and company; each is 1 or a count, read as a number on both engines.
const keysOf = sql`webauthn_credentials where webauthn_credentials.company_id = users.company_id and webauthn_credentials.user_id = users.id`;
const keyCount = sql<number | string>`(select count(*) from ${keysOf} and webauthn_credentials.switched_off_at is null)`.as('key_count');
const registeredKeyCount = sql<number | string>`(select count(*) from ${keysOf})`.as('registered_key_count');
const providerOn = sql<number>`case when exists (select 1 from sso_providers where sso_providers.company_id = users.company_id and sso_providers.enabled = 1) then 1 else 0 end`.as('provider_on');

type CompanyColumns = { company_status: CompaniesTable['status'] | null; sso_mode: Selectable<CompaniesTable>['sso_mode'] | null } & {
  [K in (typeof POLICY_COLUMNS)[number]]: Selectable<CompaniesTable>[K] | null;
};
type SubjectRow = { [K in keyof UserRow]: UserRow[K] | null } & CompanyColumns & { key_count: number | string | null; registered_key_count: number | string | null; provider_on: number | null };


function subjectOf(row: SubjectRow): LoginSubject | undefined {
  const { company_status, sso_mode, key_count, registered_key_count, provider_on, ...rest } = row;
  // The joins found no user (or, which its foreign key rules out, no company for it).
  if (rest.id === null || company_status === null) return undefined;
  // The policy's columns go to the policy, the rest is the user's row.
  const isPolicyColumn = (madePolicyColumnSet ??= new Set<string>(POLICY_COLUMNS));
  const user = Object.fromEntries(Object.entries(rest).filter(([column]) => !isPolicyColumn.has(column))) as unknown as UserRow;
  const policy = policyFromRow(Object.fromEntries(POLICY_COLUMNS.map((column) => [column, rest[column]])) as Parameters<typeof policyFromRow>[0]);
  return {
    user,
    companyActive: company_status === 'active',
    policy,
    passwordClosedBySso: passwordClosedFor(user, { providerOn: Number(provider_on) === 1, ssoMode: sso_mode }),
    keys: Number(key_count ?? 0),
    registeredKeys: Number(registered_key_count ?? 0),
  };
}

/** The user (none when the ids name none) joined with what the login decides on, as one row. */
function subjectRow(db: Queryable, companyId: string, userId: string) {
  return db
    .selectFrom(sql<{ one: number }>`(select 1 as one)`.as('here'))
    .leftJoin('users', (join) => join.on('users.company_id', '=', companyId).on('users.id', '=', userId))
    .leftJoin('companies', 'companies.id', 'users.company_id')
    .selectAll('users')
    .select([...companyColumns(), keyCount, registeredKeyCount, providerOn]);
}

// The login's reads are fixed queries (shared/fixed-query.ts): compiled once, and on
// PostgreSQL prepared once per connection, as the token requests' reads are.
const subjectById = fixedQuery((db, companyId: string, userId: string) => subjectRow(db, companyId, userId));
const subjectWithThrottle = fixedQuery((db, companyId: string, userId: string, address: string, windowStart: number, previousStart: number) =>
  subjectRow(db, companyId, userId).select(ipFailuresSince(address, windowStart, previousStart).as('ip_failures')),
);

/** The one row a select from `(select 1)` always gives. */
function onlyRow<Row>(rows: Row[]): Row {
  const [row] = rows;
  if (row === undefined) throw new Error('the login read gave no row');
  return row;
}

/** The password step's one read: the address's failures in its window, and the flow's user (none when the flow names none). */
export async function passwordStepRead(db: Queryable, ip: string | null, who: Pick<FlowRow, 'company_id' | 'user_id'>, now: number) {
  const row = onlyRow(await subjectWithThrottle(db, who.company_id ?? NO_SUCH_ID, who.user_id ?? NO_SUCH_ID, ...throttleArguments(ip, now)));
  const { ip_failures, ...subject } = row;
  return { ipFailures: Number(ip_failures), subject: who.company_id && who.user_id ? subjectOf(subject) : undefined };
}

/** A user as the login decides on them, in one read (a passkey's sign-in, which has no flow user yet). */
export async function readLoginSubject(db: Queryable, companyId: string, userId: string): Promise<LoginSubject | undefined> {
  return subjectOf(onlyRow(await subjectById(db, companyId, userId)));
}

/** A stored flow by its id's hash, unexpired, with its user joined as the login decides on them. */
const flowWithSubject = fixedQuery((db, idHash: string, now: number) =>
  db
    .selectFrom('login_flows')
    .leftJoin('users', (join) => join.onRef('users.company_id', '=', 'login_flows.company_id').onRef('users.id', '=', 'login_flows.user_id'))
    .leftJoin('companies', 'companies.id', 'users.company_id')
    .selectAll('users')
    .select([...companyColumns(), keyCount, registeredKeyCount, providerOn])
    // The flow's own columns, under names the user's do not have.
    .select([
      'login_flows.id_hash as flow_id_hash',
      'login_flows.company_id as flow_company_id',
      'login_flows.user_id as flow_user_id',
      'login_flows.username as flow_username',
      'login_flows.company_name as flow_company_name',
      'login_flows.step as flow_step',
      'login_flows.enroll_secret as flow_enroll_secret',
      'login_flows.totp_failures as flow_totp_failures',
      'login_flows.return_to as flow_return_to',
      'login_flows.expires_at as flow_expires_at',
      'login_flows.created_at as flow_created_at',
      'login_flows.first_factor as flow_first_factor',
      'login_flows.slot_hold_window as flow_slot_hold_window',
      'login_flows.mail_code_hash as flow_mail_code_hash',
      'login_flows.mail_code_sent_at as flow_mail_code_sent_at',
      'login_flows.mail_codes_sent as flow_mail_codes_sent',
      'login_flows.mail_proved_at as flow_mail_proved_at',
    ])
    .where('login_flows.id_hash', '=', idHash)
    .where('login_flows.expires_at', '>', now),
);

/** A stored flow, unexpired, with its user as the code step needs them (undefined: no such flow). */
export async function storedFlowWithSubject(db: Queryable, token: string, now: number): Promise<{ flow: FlowRow; subject: LoginSubject | undefined } | undefined> {
  const [row] = await flowWithSubject(db, hashToken(token), now);
  if (!row) return undefined;
  const {
    flow_id_hash,
    flow_company_id,
    flow_user_id,
    flow_username,
    flow_company_name,
    flow_step,
    flow_enroll_secret,
    flow_totp_failures,
    flow_return_to,
    flow_expires_at,
    flow_created_at,
    flow_first_factor,
    flow_slot_hold_window,
    flow_mail_code_hash,
    flow_mail_code_sent_at,
    flow_mail_codes_sent,
    flow_mail_proved_at,
    ...subject
  } = row;
  const flow: FlowRow = {
    id_hash: flow_id_hash,
    company_id: flow_company_id,
    user_id: flow_user_id,
    username: flow_username,
    company_name: flow_company_name,
    step: flow_step,
    enroll_secret: flow_enroll_secret,
    totp_failures: flow_totp_failures,
    return_to: flow_return_to,
    expires_at: flow_expires_at,
    created_at: flow_created_at,
    first_factor: flow_first_factor,
    slot_hold_window: flow_slot_hold_window,
    mail_code_hash: flow_mail_code_hash,
    mail_code_sent_at: flow_mail_code_sent_at,
    mail_codes_sent: flow_mail_codes_sent,
    mail_proved_at: flow_mail_proved_at,
  };
  return { flow, subject: subjectOf(subject) };
}

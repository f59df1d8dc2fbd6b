// Setting the first password through a Sign Up link. The slow hash runs before the
// transaction; inside it the link is consumed and the password stored together, so a
// replayed or raced link changes nothing.
import type { ExpressionBuilder } from 'kysely';
import { recordAudit } from '../audit/index.ts';
import { passwordRuleFor } from '../credentials/index.ts';
import { assertThat } from '../errors.ts';
import type { CoreDeps, RequestMeta } from '../shared/deps.ts';
import type { Queryable } from '../storage/index.ts';
import type { Database } from '../storage/schema.ts';
import { requireAcceptablePassword } from './new-password.ts';
import { senderMayAct } from './sender-may-act.ts';
import { consumeSignupLink, findLiveSignupLink } from './signup-links.ts';

/**
 * An invitation stands only while whoever sent it (or resent it last, resendInvite) may
 * still invite: a Master still an active Master of the company, an API client still
 * standing (not deleted or expired, its secret held by someone who may: standingApiClient).
 * A Master deactivated, demoted or deleted since (say, once their borrowed session was
 * found out), or a client deleted, leaves no invitation of theirs that still makes someone
 * a user, as a 2FA reset they asked for is withdrawn (withdrawApprovals). A Root Master
 * from the welcome mail and an operator have no inviter.
 */
const inviterStillStands = (now: number) =>
  senderMayAct(now, { user: 'users.invited_by', client: 'users.invited_by_client', company: 'users.company_id' }, { noSenderStands: true });

/**
 * Whether an invited user's invitation still stands (its sender may still invite, as the
 * Sign Up link asks): the other way an invitation is carried out, the company's identity
 * provider signing the name in (src/sso/sign-in.ts), asks the same.
 */
export async function invitationStands(db: Queryable, companyId: string, userId: string, now: number): Promise<boolean> {
  const found = await db.selectFrom('users').select('users.id').where('users.company_id', '=', companyId).where('users.id', '=', userId).where(inviterStillStands(now)).executeTakeFirst();
  return found !== undefined;
}

/**
 * The first operator's link (the platform's Root Master, made without a password by
 * firstOperatorSetup) stands only while no operator has a password. From then
 * `gatehouse operator setup-link` says there is no such link, and one printed before
 * (in a terminal's scrollback, a start-up log) must not still make its holder the
 * platform's Root Master, whom no other operator can reach.
 */
const firstOperatorLinkStands = (eb: ExpressionBuilder<Database, 'users'>) =>
  eb.or([
    eb('users.role', '!=', 'root_master'),
    eb.not(
      eb.exists(
        eb
          .selectFrom('companies as platform')
          .innerJoin('users as operator', 'operator.company_id', 'platform.id')
          .select('platform.id')
          .whereRef('platform.id', '=', 'users.company_id')
          .where('platform.is_platform', '=', 1)
          .where('operator.password_hash', 'is not', null),
      ),
    ),
  ]);

async function liveSignupLink(deps: CoreDeps, token: string) {
  const link = await findLiveSignupLink(deps.db, token, deps.clock());
  assertThat(link, 'link.invalid');
  const found = await deps.db
    .selectFrom('users')
    .innerJoin('companies', 'companies.id', 'users.company_id')
    .select(['users.username', 'companies.name as companyName', 'users.password_hash'])
    .where('users.company_id', '=', link.company_id)
    .where('users.id', '=', link.user_id)
    // A suspended company's users do nothing, signing up included (as its reset links).
    .where('companies.status', '=', 'active')
    .where(inviterStillStands(deps.clock()))
    .where((eb) => firstOperatorLinkStands(eb as unknown as ExpressionBuilder<Database, 'users'>))
    .executeTakeFirst();
  assertThat(found, 'link.invalid');
  return { companyId: link.company_id, companyName: found.companyName, username: found.username, expiresAt: link.expires_at };
}

/** What the Set Password page shows, with the company's password rule for its checklist. */
export async function describeSignupLink(deps: CoreDeps, token: string) {
  const { companyId, ...shown } = await liveSignupLink(deps, token);
  return { ...shown, passwordPolicy: await passwordRuleFor(deps.db, companyId) };
}

export async function completeSignup(
  deps: CoreDeps,
  input: { token: string; password: string; confirm: string },
  meta: RequestMeta,
): Promise<void> {
  const described = await liveSignupLink(deps, input.token);
  await requireAcceptablePassword(
    deps.db,
    described.companyId,
    { password: input.password, confirm: input.confirm, fields: { password: 'password', confirm: 'confirm' } },
    described,
  );
  const passwordHash = await deps.hasher.hash(input.password);
  await deps.db.transaction().execute(async (tx) => {
    const now = deps.clock();
    const link = await consumeSignupLink(tx, input.token, now);
    assertThat(link, 'link.invalid');
    // Only an invited user of an active company is activated, with their first password:
    // a link that outlived a deactivation (raced, restored from a backup) neither wakes the
    // user nor replaces a password set since, a suspended company's link waits for the
    // company's return, and one whose inviter may no longer invite is dead (inviterStillStands),
    // as is the first operator's once another operator has a password (firstOperatorLinkStands).
    // Thrown, the transaction gives the link back unconsumed.
    // A link mailed to the user's address (the welcome mail, an invitation), used: the
    // address reaches them, and modules are told it is verified.
    const mailedHere = (eb: ExpressionBuilder<Database, 'users'>) =>
      link.data ? eb.case().when('users.email', '=', link.data).then(now).else(null).end() : eb.val(null);
    const activated = await tx
      .updateTable('users')
      .set((eb) => ({ password_hash: passwordHash, status: 'active', activated_at: now, failed_logins: 0, locked_until: null, email_verified_at: mailedHere(eb) }))
      .where('company_id', '=', link.company_id)
      .where('id', '=', link.user_id)
      .where('status', '=', 'invited')
      .where('password_hash', 'is', null)
      .where((eb) => eb.exists(eb.selectFrom('companies').select('companies.id').whereRef('companies.id', '=', 'users.company_id').where('companies.status', '=', 'active')))
      .where(inviterStillStands(now))
      .where(firstOperatorLinkStands)
      .executeTakeFirst();
    assertThat(Number(activated.numUpdatedRows) === 1, 'link.invalid');
    await recordAudit(tx, now, {
      companyId: link.company_id,
      actorId: link.user_id,
      action: 'user.password_set',
      target: link.user_id,
      ip: meta.ip,
      userAgent: meta.userAgent,
    });
  });
}

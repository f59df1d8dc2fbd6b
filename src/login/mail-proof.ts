// After someone else resets a user's 2FA (a Master, an API client, the operator's
// recovery from a lost secret key), the login that sets up the next factor first proves
// the user's mailbox: a six-digit code mailed to them. Without it, whoever knew the
// password chose the next factor, which is how a phished password and a persuaded help
// desk become a takeover. The code is bound to this login (keyed hash with the flow's
// name), works once and for ten minutes, five wrong tries end the login, and each user
// gets five codes an hour (send-caps.ts): 25 guesses an hour at a million codes.
// A user who reset their own 2FA proved a second factor to do it and enrolls as usual.
import { randomInt } from 'node:crypto';
import { sql } from 'kysely';
import { recordAudit } from '../audit/index.ts';
import { keyedHash, keyedHashMatches } from '../crypto/index.ts';
import { assertThat, GatehouseError } from '../errors.ts';
import { enqueueMail, enrollmentCodeCap, enrollmentCodeEmail } from '../mail/index.ts';
import type { CoreDeps, RequestMeta } from '../shared/deps.ts';
import { spendRateSlot } from '../storage/index.ts';
import { requireFlowAt } from './flow-cookie.ts';
import { moveFlowPastProof, type FlowRow } from './flows.ts';
import { refuseCode } from './second-factor.ts';

/** How long a mailed code works. */
export const ENROLLMENT_CODE_MINUTES = 10;
/** The least time between two codes of one login: a second click is not a second mail. */
const RESEND_AFTER_MS = 30_000;
/** Codes one login may ask for. */
const CODES_PER_LOGIN = 3;

const codeHashOf = (deps: CoreDeps, flow: Pick<FlowRow, 'id_hash'>, code: string) => keyedHash(deps.deriveKey('enrollment-code'), `${flow.id_hash}:${code}`);

/** "j•••@acme.test": enough for the person to know which mailbox to open, not the address. */
export function maskedAddress(address: string): string {
  const at = address.lastIndexOf('@');
  if (at < 1) return '•••';
  return `${address.slice(0, 1)}•••${address.slice(at)}`;
}

/** Mails a new code to the user of a login at the mail_code step (the page asks on arrival, and at "Send a new code"). */
export async function sendEnrollmentCode(deps: CoreDeps, flowToken: string | undefined, meta: RequestMeta) {
  const { flow } = await requireFlowAt(deps, flowToken, 'mail_code');
  const { company_id: companyId, user_id: userId } = flow;
  assertThat(companyId && userId, 'login.flow_expired');
  const now = deps.clock();
  if (flow.mail_codes_sent >= CODES_PER_LOGIN) throw new GatehouseError('login.enrollment_codes_spent');
  const since = flow.mail_code_sent_at === null ? Infinity : now - Number(flow.mail_code_sent_at);
  if (since < RESEND_AFTER_MS) throw new GatehouseError('login.enrollment_code_wait', { retryAfterSeconds: Math.ceil((RESEND_AFTER_MS - since) / 1000) });
  // Spent for good, before the mail: a refusal after it still counts.
  if (!(await spendRateSlot(deps.db, enrollmentCodeCap(userId), now))) throw new GatehouseError('login.enrollment_codes_spent');
  const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
  const address = await deps.db.transaction().execute(async (tx) => {
    const user = await tx
      .selectFrom('users')
      .innerJoin('companies', 'companies.id', 'users.company_id')
      .select(['users.email', 'users.username', 'companies.name as companyName'])
      .where('users.company_id', '=', companyId)
      .where('users.id', '=', userId)
      .where('users.status', '=', 'active')
      .where('companies.status', '=', 'active')
      .executeTakeFirst();
    assertThat(user, 'login.flow_expired');
    // Only from the count this request read: of two at once, one mails a code.
    const stored = await tx
      .updateTable('login_flows')
      .set({ mail_code_hash: codeHashOf(deps, flow, code), mail_code_sent_at: now, mail_codes_sent: sql<number>`mail_codes_sent + 1` })
      .where('id_hash', '=', flow.id_hash)
      .where('step', '=', 'mail_code')
      .where('mail_codes_sent', '=', flow.mail_codes_sent)
      .executeTakeFirst();
    if (Number(stored.numUpdatedRows) !== 1) throw new GatehouseError('login.enrollment_code_wait', { retryAfterSeconds: RESEND_AFTER_MS / 1000 });
    const mail = enrollmentCodeEmail({ companyName: user.companyName, username: user.username, code, minutes: ENROLLMENT_CODE_MINUTES });
    await enqueueMail(tx, deps.secrets, now, { companyId, to: user.email, userId, ...mail });
    await recordAudit(tx, now, { companyId, actorId: userId, action: 'login.enrollment_code_sent', target: userId, ip: meta.ip, userAgent: meta.userAgent });
    return user.email;
  });
  deps.mailQueued();
  return { sentTo: maskedAddress(address), resendAfterSeconds: RESEND_AFTER_MS / 1000 };
}

/**
 * The mailed code: right, and the login moves on to enrollment under a new name (a flow
 * renamed past each proof, flows.ts), marked as proved, which enrollment then requires
 * (factors.ts claimFirstEnrollment). Wrong, it counts against the login as a wrong app
 * code does (the fifth ends it).
 */
export async function proveEnrollmentCode(deps: CoreDeps, flowToken: string | undefined, code: string, meta: RequestMeta) {
  const found = await requireFlowAt(deps, flowToken, 'mail_code');
  const { flow } = found;
  const { company_id: companyId, user_id: userId } = flow;
  assertThat(companyId && userId, 'login.flow_expired');
  const now = deps.clock();
  const typed = code.replace(/\s+/g, '');
  const stored = flow.mail_code_hash;
  const live = stored !== null && flow.mail_code_sent_at !== null && now - Number(flow.mail_code_sent_at) < ENROLLMENT_CODE_MINUTES * 60_000;
  if (!live || !/^\d{6}$/.test(typed) || !keyedHashMatches(deps.deriveKey('enrollment-code'), `${flow.id_hash}:${typed}`, stored)) {
    return refuseCode(deps, found, 'login.enrollment_code_invalid');
  }
  const renamed = await deps.db.transaction().execute(async (tx) => {
    // The code is spent with the move: a twin with the same code finds it gone.
    const token = await moveFlowPastProof(tx, flow, 'enroll', found.loginId, (move) =>
      move.set({ mail_code_hash: null, mail_proved_at: now }).where('mail_code_hash', '=', stored),
    );
    if (!token) throw new GatehouseError('login.flow_expired');
    await recordAudit(tx, now, { companyId, actorId: userId, action: 'login.enrollment_code_proved', target: userId, ip: meta.ip, userAgent: meta.userAgent });
    return token;
  });
  return { step: 'enroll' as const, flowToken: renamed };
}

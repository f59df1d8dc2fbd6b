// A key's signed answer whose counter did not move forward: a copy of the key is in use
// (or the original, if the copy signed first). Either way whoever holds it has the key's
// private key, which only its owner should, and no answer tells the original from the
// copy: the answer is refused (by the caller), and in one transaction the key is switched
// off for good (WebAuthn §6.1.1; neither the original nor any copy signs in with it again,
// store.ts switchCredentialOff), the owner's sessions a key signed are signed out (below),
// the refusal audited, and the owner told by mail, so a copy used with a stolen password
// does not go unseen until the owner looks at the trail. Told at most once an hour: the
// holder of copies of several keys could otherwise send one notice per key at once. The
// hour is claimed with a rate slot in the same transaction (storage/rate-caps.ts), so two
// refusals at the same moment, on any node, mail once.
import { recordAudit } from '../audit/index.ts';
import { signedWithKey } from '../sessions/index.ts';
import type { CoreDeps, RequestMeta } from '../shared/deps.ts';
import { takeRateSlot, type Queryable, type RateCap } from '../storage/index.ts';
import { endSessionsAccess, queueSecurityNotice } from '../users/index.ts';
// Not on the users door; what one session ended revokes (users/my-sessions.ts) goes here too.
import { revokePendingEmailChanges } from '../users/email-change.ts';
import { switchCredentialOff, type CredentialRow } from '../webauthn/index.ts';
import { lockUserFirst } from './lockout.ts';

const copyNoticeCap = (userId: string): RateCap => ({ key: `key-copy-notice:${userId}`, limit: 1, windowMs: 3_600_000 });

type Owner = { companyId: string; userId: string };

export async function recordCopiedKey(deps: CoreDeps, row: CredentialRow, meta: RequestMeta): Promise<void> {
  const owner: Owner = { companyId: row.company_id, userId: row.user_id };
  const told = await deps.db.transaction().execute(async (tx) => {
    const now = deps.clock();
    // The user's row before the key's (lockout.ts, LOCK ORDER), as a sign-in with it takes them.
    await lockUserFirst(tx, owner.companyId, owner.userId);
    // False when a refusal at the same moment switched it off first: audited all the same.
    const switchedOff = await switchCredentialOff(tx, row, now);
    // Only by the refusal that switched it off: a twin finds them ended already, and from
    // then on the key signs no session, so later refusals meet a key switched off, never
    // this (ceremony.ts), and the copy's holder cannot sign the owner out again and again.
    const sessionsEnded = switchedOff ? await endSessionsKeysSigned(tx, now, owner, meta) : 0;
    await recordAudit(tx, now, {
      companyId: owner.companyId,
      actorId: owner.userId,
      action: 'webauthn.clone_refused',
      target: owner.userId,
      ip: meta.ip,
      userAgent: meta.userAgent,
      detail: { factor: 'webauthn', reason: 'cloned', keyId: row.id, name: row.name, counter: row.counter, switchedOff, sessionsEnded },
    });
    if (!(await takeRateSlot(tx, copyNoticeCap(owner.userId), now))) return false;
    await queueSecurityNotice(deps, tx, owner, 'key_copy_refused');
    return true;
  });
  if (told) deps.mailQueued();
}

/**
 * Signs out the owner's sessions that a passkey or security key signed (amr hwk or swk),
 * with the module sign-ins they led to (back-channel logout notices), and revokes a pending
 * email change, as ending one session does: the copy may have signed any of them, and a
 * session does not say which key signed it, so all of them end (the original's too, as its
 * sign-ins cannot be told from the copy's). Sessions of the app's code, a recovery code or
 * single sign-on stay: no copy of a key made them, and a password reset is the owner's
 * answer if the password went with the key (it ends every session). The refused request's
 * own session, at step-up, is one of the owner's and ends with them if a key signed it; a
 * login has none yet. Called holding the user's row, so a sign-in with the key committed
 * just before (its session) is seen and ended, and one just after finds the key off.
 */
async function endSessionsKeysSigned(tx: Queryable, now: number, owner: Owner, meta: RequestMeta): Promise<number> {
  const sessions = await tx
    .selectFrom('sessions')
    .select(['id_hash', 'amr'])
    .where('company_id', '=', owner.companyId)
    .where('user_id', '=', owner.userId)
    .execute();
  const ended = sessions.filter((session) => signedWithKey(session.amr.split(' '))).map((session) => session.id_hash);
  if (ended.length === 0) return 0;
  await endSessionsAccess(tx, now, ended, 'key_copied');
  await revokePendingEmailChanges(tx, owner.companyId, owner.userId, now);
  for (const idHash of ended) {
    await recordAudit(tx, now, {
      companyId: owner.companyId,
      actorId: owner.userId,
      action: 'session.ended',
      target: owner.userId,
      ip: meta.ip,
      userAgent: meta.userAgent,
      // The handle My Settings and a Master's list show for the session (users/my-sessions.ts).
      detail: { reason: 'key_copied', session: idHash.slice(0, 16) },
    });
  }
  return ended.length;
}

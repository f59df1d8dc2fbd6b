// A key's signed answer whose counter did not move forward: a copy of the key is in use
// (or the original, if the copy signed first). Either way whoever holds it has the key's
// private key, which only its owner should, and no answer tells the original from the
// copy: the answer is refused (by the caller), and in one transaction the key is switched
// off for good (WebAuthn §6.1.1; neither the original nor any copy signs in with it again,
// store.ts switchCredentialOff), the refusal audited, and the owner told by mail, so a copy
// used with a stolen password does not go unseen until the owner looks at the trail. Told
// at most once an hour: the holder of copies of several keys could otherwise send one
// notice per key at once. The hour is claimed with a rate slot in the same transaction
// (storage/rate-caps.ts), so two refusals at the same moment, on any node, mail once.
import { recordAudit } from '../audit/index.ts';
import type { CoreDeps, RequestMeta } from '../shared/deps.ts';
import { takeRateSlot, type RateCap } from '../storage/index.ts';
import { queueSecurityNotice } from '../users/index.ts';
import { switchCredentialOff, type CredentialRow } from '../webauthn/index.ts';
import { lockUserFirst } from './lockout.ts';

const copyNoticeCap = (userId: string): RateCap => ({ key: `key-copy-notice:${userId}`, limit: 1, windowMs: 3_600_000 });

export async function recordCopiedKey(deps: CoreDeps, row: CredentialRow, meta: RequestMeta): Promise<void> {
  const owner = { companyId: row.company_id, userId: row.user_id };
  const told = await deps.db.transaction().execute(async (tx) => {
    const now = deps.clock();
    // The user's row before the key's (lockout.ts, LOCK ORDER), as a sign-in with it takes them.
    await lockUserFirst(tx, owner.companyId, owner.userId);
    // False when a refusal at the same moment switched it off first: audited all the same.
    const switchedOff = await switchCredentialOff(tx, row, now);
    await recordAudit(tx, now, {
      companyId: owner.companyId,
      actorId: owner.userId,
      action: 'webauthn.clone_refused',
      target: owner.userId,
      ip: meta.ip,
      userAgent: meta.userAgent,
      detail: { factor: 'webauthn', reason: 'cloned', keyId: row.id, name: row.name, counter: row.counter, switchedOff },
    });
    if (!(await takeRateSlot(tx, copyNoticeCap(owner.userId), now))) return false;
    await queueSecurityNotice(deps, tx, owner, 'key_copy_refused');
    return true;
  });
  if (told) deps.mailQueued();
}

// A key's signed answer whose counter did not move forward: a copy of the key is in use
// (or the original, if the copy signed first). Either way whoever holds it has the key's
// private key, which only its owner should: the answer is refused (by the caller), the
// refusal audited, and the owner told by mail, so a copy used with a stolen password does
// not go unseen until the owner looks at the trail. Told at most once an hour: the holder
// of a copy could otherwise fill the owner's mailbox one refused sign-in at a time.
import { recordAudit } from '../audit/index.ts';
import type { CoreDeps, RequestMeta } from '../shared/deps.ts';
import { queueSecurityNotice } from '../users/index.ts';
import type { CredentialRow } from '../webauthn/index.ts';

const TOLD_AT_MOST_EVERY_MS = 3_600_000;

export async function recordCopiedKey(deps: CoreDeps, row: CredentialRow, meta: RequestMeta): Promise<void> {
  const owner = { companyId: row.company_id, userId: row.user_id };
  const now = deps.clock();
  const toldLately = await deps.db
    .selectFrom('audit_events')
    .select('id')
    .where('company_id', '=', owner.companyId)
    .where('target', '=', owner.userId)
    .where('action', '=', 'webauthn.clone_refused')
    .where('created_at', '>', now - TOLD_AT_MOST_EVERY_MS)
    .limit(1)
    .executeTakeFirst();
  await deps.db.transaction().execute(async (tx) => {
    await recordAudit(tx, now, {
      companyId: owner.companyId,
      actorId: owner.userId,
      action: 'webauthn.clone_refused',
      target: owner.userId,
      ip: meta.ip,
      userAgent: meta.userAgent,
      detail: { factor: 'webauthn', reason: 'cloned', keyId: row.id, name: row.name, counter: row.counter },
    });
    if (!toldLately) await queueSecurityNotice(deps, tx, owner, 'key_copy_refused');
  });
  if (!toldLately) deps.mailQueued();
}

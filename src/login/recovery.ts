// Recovery codes for a signed-in user (My Settings): how many are left, and a new set
// of ten, which needs the proof of reauth.ts (password and code or key) and ends the old set.
import { recordAudit } from '../audit/index.ts';
import { recoveryCodeStatus, replaceRecoveryCodes } from '../credentials/index.ts';
import type { CoreDeps, RequestMeta } from '../shared/deps.ts';
import { requireCredentialChange } from '../shared/signed-in-writes.ts';
import { queueSecurityNotice } from '../users/index.ts';
import { withProof, type Proof } from './reauth.ts';

export async function recoveryCodesLeft(deps: CoreDeps, who: { companyId: string; userId: string }) {
  return recoveryCodeStatus(deps.db, who.companyId, who.userId);
}

/** Ten new codes, returned this once; every earlier code stops working in the same commit. */
export async function regenerateRecoveryCodes(
  deps: CoreDeps,
  who: { companyId: string; userId: string; sessionHash: string },
  input: Proof,
  meta: RequestMeta,
): Promise<string[]> {
  const codes = await withProof(deps, who, { ...input, purpose: 'recovery_codes' }, meta, async (tx) => {
    // A change to the user's ways in, as a password or a key is: each an event kept for
    // good and a mail, so capped with them (a proof every 30 s, or at request speed with a key).
    await requireCredentialChange(tx, who.userId, deps.clock());
    const codes = await replaceRecoveryCodes(tx, deps.deriveKey('recovery-codes'), who.companyId, who.userId, deps.clock());
    await recordAudit(tx, deps.clock(), {
      companyId: who.companyId,
      actorId: who.userId,
      action: 'recovery_codes.regenerated',
      target: who.userId,
      ip: meta.ip,
      userAgent: meta.userAgent,
    });
    await queueSecurityNotice(deps, tx, who, 'recovery_codes_replaced');
    return codes;
  });
  deps.mailQueued();
  return codes;
}

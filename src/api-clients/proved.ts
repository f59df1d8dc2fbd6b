// Handing out a client's secret from a console (a create or a rotate) needs the proof My
// Settings asks before new recovery codes (src/login/reauth.ts, withProof): the password and
// a current code, or a key. The secret acts with a Master's rights and no second factor,
// and outlives every session, so a borrowed session alone must not be able to take one
// away. The write runs in the transaction that spends the proof, after stillProved, so a
// recovery that ended the session or changed the password meanwhile is not undone by it;
// the person who got the secret is told by mail in the same transaction. The command line
// (the shell) makes clients without proof: createApiClient, rotateApiClientSecret.
// Each hand-out is a change to a way into the company, an event kept for good and a mail:
// it takes a slot of the person's changes to ways in (requireCredentialChange, shared with
// their password and keys), so repeating one costs more than the admin-change cap.
// Deleting a client only takes access away and needs none.
import { withProof, type Proof } from '../login/index.ts';
import type { CoreDeps } from '../shared/deps.ts';
import { requireCredentialChange } from '../shared/signed-in-writes.ts';
import { queueSecurityNotice } from '../users/index.ts';
import { createApiClientIn, rotateApiClientSecretIn, type ApiClientInput, type ChangedBy, type Reach } from './store.ts';

/** The signed-in person handing out the secret, and the session their proof is bound to. */
export interface Prover {
  companyId: string;
  userId: string;
  sessionHash: string;
}

export async function createApiClientWithProof(deps: CoreDeps, who: Prover, proof: Proof, input: ApiClientInput, by: ChangedBy) {
  const made = await withProof(deps, who, { ...proof, purpose: 'api_client_created' }, by.meta, async (tx) => {
    await requireCredentialChange(tx, who.userId, deps.clock());
    const made = await createApiClientIn(tx, deps, input, by);
    await queueSecurityNotice(deps, tx, who, 'api_client_created');
    return made;
  });
  deps.mailQueued();
  return made;
}

export async function rotateApiClientSecretWithProof(deps: CoreDeps, who: Prover, proof: Proof, reach: Reach, clientId: string, by: ChangedBy) {
  const rotated = await withProof(deps, who, { ...proof, purpose: 'api_client_rotated' }, by.meta, async (tx) => {
    await requireCredentialChange(tx, who.userId, deps.clock());
    const rotated = await rotateApiClientSecretIn(tx, deps, reach, clientId, by);
    await queueSecurityNotice(deps, tx, who, 'api_client_secret_rotated');
    return rotated;
  });
  deps.mailQueued();
  return rotated;
}

// The checks every new password passes, wherever it is chosen (Sign Up link, My Settings, reset link):
// typed twice alike, then the company's password rule and the common-password check,
// with the user's own names counting as guessable words, and the user named as the one
// waiting for the check (src/credentials/estimator: one user cannot fill its queue).
import { checkPasswordForCompany, samePassword } from '../credentials/index.ts';
import { GatehouseError } from '../errors.ts';
import type { Queryable } from '../storage/index.ts';

export async function requireAcceptablePassword(
  db: Queryable,
  companyId: string,
  input: { password: string; confirm: string; fields: { password: string; confirm: string } },
  user: { username: string; companyName: string },
): Promise<void> {
  // Compared as hashed: "ü" typed once and pasted as "u" and a diaeresis once is one password.
  if (!samePassword(input.password, input.confirm)) {
    throw new GatehouseError('password.mismatch', { fields: { [input.fields.confirm]: 'The passwords do not match.' } });
  }
  const verdict = await checkPasswordForCompany(db, companyId, input.password, {
    context: [user.username, user.companyName],
    holder: `${companyId}/${user.username}`,
  });
  if (!verdict.ok) {
    throw new GatehouseError(verdict.reason === 'too_common' ? 'password.too_common' : 'password.too_weak', {
      fields: { [input.fields.password]: verdict.message },
    });
  }
}

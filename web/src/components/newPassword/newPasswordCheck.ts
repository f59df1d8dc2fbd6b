import type { FieldErrors, PasswordRule } from '../../api';
import { MAX_PASSWORD_LENGTH, meetsRules, passwordTooLong, samePassword } from './passwordRules';

/**
 * The checks made before a new password is sent (Set Your Password, reset, My Settings),
 * so the usual mistakes are named under the field at once; the server checks again.
 */
export function checkNewPassword(
  password: string,
  confirm: string,
  rule?: PasswordRule,
  keys: { password: string; confirm: string } = { password: 'password', confirm: 'confirm' },
): FieldErrors {
  const errors: FieldErrors = {};
  if (!password) errors[keys.password] = 'Enter a password.';
  else if (!meetsRules(password, rule)) errors[keys.password] = 'Your password does not meet every rule in the list.';
  else if (passwordTooLong(password)) errors[keys.password] = `Use at most ${MAX_PASSWORD_LENGTH} characters.`;
  // Compared as the server compares them: "ü" typed once and pasted as "u" and a diaeresis once match.
  if (!errors[keys.password] && !samePassword(password, confirm)) errors[keys.confirm] = 'The passwords do not match.';
  return errors;
}

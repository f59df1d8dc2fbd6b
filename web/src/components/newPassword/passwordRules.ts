// The password rule's checklist comes from the contract the server checks with; the
// server still decides, and also refuses common passwords, which cannot be checked here.
export {
  DEFAULT_PASSWORD_RULE as DEFAULT_RULE,
  MAX_PASSWORD_LENGTH,
  meetsPasswordRule as meetsRules,
  passwordRules as rulesFor,
  passwordTooLong,
  samePassword,
  type PasswordCheck,
} from '@contract';

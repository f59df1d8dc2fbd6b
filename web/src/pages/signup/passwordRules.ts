// Mirrors the server's default rule (docs/API.md) for the live checklist; the server
// still decides, and also refuses common passwords, which cannot be checked here.
export const passwordRules = [
  { id: 'length', label: 'At least 8 characters', test: (p: string) => [...p].length >= 8 },
  { id: 'lower', label: 'A lower-case letter', test: (p: string) => /\p{Ll}/u.test(p) },
  { id: 'upper', label: 'An upper-case letter', test: (p: string) => /\p{Lu}/u.test(p) },
  { id: 'digit', label: 'A number', test: (p: string) => /\p{Nd}/u.test(p) },
  { id: 'symbol', label: 'A symbol', test: (p: string) => /[^\p{L}\p{N}]/u.test(p) },
] as const;

export const MAX_PASSWORD_LENGTH = 1024;

export const meetsRules = (password: string) => passwordRules.every((rule) => rule.test(password));

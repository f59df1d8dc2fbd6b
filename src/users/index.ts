// The users door: user rows (always scoped by company), Sign Up links, and sign-up.
export { createUser, findRootMaster, findUserByUsername, getUser, type Role, type UserRow } from './store.ts';
export { issueSignupLink } from './signup-links.ts';
export { completeSignup, describeSignupLink } from './signup.ts';
export { endUserAccess } from './access.ts';

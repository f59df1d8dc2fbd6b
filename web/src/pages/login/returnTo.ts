import { RETURN_TO_PATTERN } from '@contract';

/**
 * A module's sign-in ("Log In with Gatehouse") sends people here with
 * ?return=/oidc/auth/<id> (the sign-in's resume); the server checks the path and hands it back when the
 * login is done, so the module's sign-in continues.
 */
export function returnTo(): string | undefined {
  const value = new URLSearchParams(window.location.search).get('return');
  return value && RETURN_TO_PATTERN.test(value) ? value : undefined;
}

import { RETURN_TO_PATTERN } from '@contract';
import { NEXT_PAGE_PARAM, SESSION_ENDED_PARAM } from '../../api';
import { sameOriginPath } from '../../sameOriginPath';

/**
 * A module's sign-in ("Log In with Gatehouse") sends people here with
 * ?return=/oidc/auth/<id> (the sign-in's resume); the server checks the path and hands it back when the
 * login is done, so the module's sign-in continues.
 */
export function returnTo(): string | undefined {
  const value = new URLSearchParams(window.location.search).get('return');
  return value && RETURN_TO_PATTERN.test(value) ? value : undefined;
}

/** The page a user was on when their session ended (?next=): one of this app's own, never the login page. */
export function nextPage(): string | undefined {
  const path = sameOriginPath(new URLSearchParams(window.location.search).get(NEXT_PAGE_PARAM), window.location.origin);
  return path && !/^\/login(?:[/?#]|$)/.test(path) ? path : undefined;
}

/** Whether the login page was opened because the session ended under a page (?ended=1). */
export const sessionEnded = () => new URLSearchParams(window.location.search).get(SESSION_ENDED_PARAM) === '1';

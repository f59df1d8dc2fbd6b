import { LOGIN_AGAIN_PARAM, RETURN_TO_PATTERN } from '@contract';
import { NEXT_PAGE_PARAM, SESSION_ENDED_PARAM, UNSAVED_CHANGE_PARAM } from '../../api';
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

/** Whether a change (or input typed in a form) was lost with the ended session (?unsaved=1). */
export const changeUnsaved = () => new URLSearchParams(window.location.search).get(UNSAVED_CHANGE_PARAM) === '1';

/** Said, on the login page and the page returned to, when a change went with the session; never what it was (a shared computer). */
export const CHANGE_NOT_SAVED = 'Your last change was not saved: make it again once you are back.';

/** What the login page hands the page it returns to (router state). */
export interface ReturnHandover {
  /** A change was refused, or typed input lost, when the session ended under that page. */
  changeNotSaved?: boolean;
}

const CONTINUED_KEY = 'gatehouse.continuedSignIn';

/**
 * Whether this page may go on with a module sign-in (?return=) using the session the
 * browser already holds (another tab logged in since the page was opened). Never when the
 * sign-in's gate sent a signed-in browser here for a new login (?again=1: its session will
 * not do), and at most once per sign-in in this tab (goingOnWithHeldSession), so no loop
 * can form whatever the gate decides.
 */
export function mayGoOnWithHeldSession(): boolean {
  const path = returnTo();
  if (!path || new URLSearchParams(window.location.search).get(LOGIN_AGAIN_PARAM) !== null) return false;
  try {
    return window.sessionStorage.getItem(CONTINUED_KEY) !== path;
  } catch {
    return true; // No storage (a private window's quota): the gate's ?again= alone prevents a loop.
  }
}

/** Notes that this tab goes on with this sign-in by the held session (see mayGoOnWithHeldSession). */
export function goingOnWithHeldSession(): void {
  try {
    window.sessionStorage.setItem(CONTINUED_KEY, returnTo() ?? '');
  } catch {
    // As above.
  }
}

// A login's code or key answer sent twice at once (a browser's own retry, a second tab on
// the same login) is refused for its copy with 409 login.attempt_in_progress: the server
// checks one copy and tells the other to try again, counting it against nothing
// (docs/API.md; src/login/attempts-in-flight.ts). That is no failure to show the user: the
// answer is sent again, a few times over about two seconds, while the form stays busy.
// By then the twin has its answer. A wrong code or key: the retry is checked like the
// twin and gets the same refusal, which is shown (as the user's own "try again" would).
// A twin that moved the login on: the retry finds the flow ended or at another step, and
// the login's state is read again to carry on from where the twin left it.
import { ApiError, currentLogin, get, type LoginState, type Me } from '../api';

/** The waits before each new try (about two seconds in all); then the refusal is shown. */
const RETRY_DELAYS_MS = [200, 500, 1_000];

const isTwinRefusal = (error: unknown) => error instanceof ApiError && error.code === 'login.attempt_in_progress';

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Sends `send` (a POST of the same answer each time) and answers its result; a copy told
 * to try again is sent again, and a retry that finds the login over answers where the
 * twin left it. Any other refusal is thrown as it came.
 */
export async function sendLoginAnswer<T extends LoginState>(send: () => Promise<T>): Promise<T | LoginState> {
  for (let tries = 0; ; tries++) {
    try {
      return await send();
    } catch (error) {
      if (tries > 0 && error instanceof ApiError) {
        const moved = await whereTwinLeftIt(error);
        if (moved) return moved;
      }
      const delay = RETRY_DELAYS_MS[tries];
      if (!isTwinRefusal(error) || delay === undefined) throw error;
      await pause(delay);
    }
  }
}

/**
 * A retry refused because its flow ended (login.flow_expired) or is at another step
 * (login.wrong_step): its twin signed in, or went on (to add a key). The login's state, or
 * `{ step: 'done' }` when the twin's session is this browser's now; null when neither (a
 * twin whose answer never reached this browser): the refusal stands.
 */
async function whereTwinLeftIt(error: ApiError): Promise<LoginState | null> {
  if (error.code !== 'login.flow_expired' && error.code !== 'login.wrong_step') return null;
  return whereTheBrowserIs();
}

/**
 * Where this browser's login stands, whichever tab moved it: the login under way, or
 * `{ step: 'done' }` when the browser is signed in; null when neither (or unknown).
 */
export async function whereTheBrowserIs(): Promise<LoginState | null> {
  try {
    const state = await currentLogin();
    if (state.step !== 'identify') return state;
    await get<Me>('/me');
    return { step: 'done' };
  } catch {
    return null;
  }
}

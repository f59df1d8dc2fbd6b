import { useEffect } from 'react';
import { api, endedSession, stillShownUser, type Me } from '../api';
import { hearOtherTabs, sessionOverAt } from './lastUse';

/** How often an open page looks whether its session's time is up (no request is made until it is). */
const LOOK_EVERY_MS = 15_000;

/**
 * A signed-in page on a shared computer must not keep showing its user's data once their
 * session is over: after Log Out in another tab, or when the session runs past the
 * company's idle timeout or its absolute limit while the page sits open. Such a page goes
 * to the login page by itself (a full page load: nothing of the session stays in memory).
 *
 * - Log Out in another tab is heard at once (lastUse.ts's channel); a login there asks
 *   the server whether this page's user is still the browser's (409 session.changed reloads).
 * - The session's end is known from /api/me (its idle timeout, its absolute end, counted on
 *   this page's clock) and its last use by any tab. Only once that time has passed is the server asked, so a page that
 *   merely sits open never keeps an idle session alive; if another way of using it (a
 *   module's sign-in) kept it alive, the answer says so and the page stays.
 */
export function useSessionWatch(me: Me | null): void {
  useEffect(() => {
    if (!me) return;
    let asking = false;
    const lookAtTheTime = () => {
      const overAt = sessionOverAt();
      if (asking || overAt === undefined || Date.now() < overAt) return;
      asking = true;
      // 401 takes the page to the login page (api.ts), 409 reloads it as the browser's user;
      // an answer means the session lives on (used elsewhere, a limit lengthened): the limits
      // are read again with it, so the page does not ask again before they could be over.
      void api
        .me()
        .catch(() => undefined)
        .finally(() => (asking = false));
    };
    const stopHearing = hearOtherTabs((news) => {
      if (news.kind === 'signed-out') endedSession();
      else void stillShownUser();
    });
    const timer = window.setInterval(lookAtTheTime, LOOK_EVERY_MS);
    document.addEventListener('visibilitychange', lookAtTheTime);
    window.addEventListener('focus', lookAtTheTime);
    return () => {
      stopHearing();
      window.clearInterval(timer);
      document.removeEventListener('visibilitychange', lookAtTheTime);
      window.removeEventListener('focus', lookAtTheTime);
    };
  }, [me]);
}

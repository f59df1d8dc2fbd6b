import { useEffect } from 'react';
import { api, endedSession, type Me } from '../api';
import { hearOtherTabs } from './tabsChannel';

/** The longest an open page goes without looking whether its session is still live. */
const LOOK_EVERY_MS = 60_000;

/**
 * A signed-in page on a shared computer must not keep showing its user's data once their
 * session is over: after Log Out in another tab or through a module, after the session ran
 * past the company's idle timeout or its absolute limit (either shortened meanwhile), or
 * ended on another device. Such a page goes to the login page by itself (a full page load:
 * nothing of the session stays in memory).
 *
 * - Log Out in another tab is heard at once (tabsChannel.ts); a login there makes the page
 *   look at once (409 session.changed reloads it as the browser's new user).
 * - Otherwise the page looks: each minute, when it is shown or focused again, and when the
 *   server said the session would be over. A look (X-Gatehouse-Look-Only) is judged as any
 *   request but is no use of the session, so a page merely left open never keeps an idle
 *   session alive; its answer says how long the session has left, counted by the server.
 */
export function useSessionWatch(me: Me | null): void {
  useEffect(() => {
    if (!me) return;
    let asking = false;
    let overTimer = 0;
    const expectOverIn = (session: Me['session']) => {
      window.clearTimeout(overTimer);
      const seconds = Math.min(session.idleSecondsLeft, session.secondsLeft);
      if (seconds * 1000 < LOOK_EVERY_MS) overTimer = window.setTimeout(look, seconds * 1000 + 1000);
    };
    const look = () => {
      if (asking) return;
      asking = true;
      // Refused, the API door has already taken the page away (401) or reloaded it (409).
      void api
        .lookAtSession()
        .then((now) => expectOverIn(now.session))
        .catch(() => undefined)
        .finally(() => (asking = false));
    };
    expectOverIn(me.session);
    // A login in another tab: the same look (no use of the session) says whether this page's
    // user is still the browser's (409 reloads it as the new one).
    const stopHearing = hearOtherTabs((news) => (news.kind === 'signed-out' ? endedSession() : look()));
    const timer = window.setInterval(look, LOOK_EVERY_MS);
    const lookWhenShown = () => document.visibilityState === 'visible' && look();
    document.addEventListener('visibilitychange', lookWhenShown);
    window.addEventListener('focus', look);
    return () => {
      stopHearing();
      window.clearInterval(timer);
      window.clearTimeout(overTimer);
      document.removeEventListener('visibilitychange', lookWhenShown);
      window.removeEventListener('focus', look);
    };
  }, [me]);
}

import { useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { Outlet, useLocation, useNavigate } from 'react-router';
import { api, loginPageFor, setAccessChangedHandler, setAnswerLostHandler } from '../api';
import { SessionPending } from '../components/SessionPending';
import { SignedInShell } from '../components/SignedInShell';
import { keys, useApiQuery } from '../data';
import { MeContext } from './context';
import { useSessionWatch } from './useSessionWatch';

/**
 * The frame of every signed-in page. `/api/me` is fetched once and kept (it changes only
 * through this app: a profile save or a role transfer invalidates it); moving between
 * pages reuses it. A missing session sends the browser to the login page, and back to
 * the page after the login (a bookmark opened while signed out).
 */
export function SignedInLayout() {
  const navigate = useNavigate();
  const { pathname, search } = useLocation();
  const client = useQueryClient();
  const { data: me, error, reload } = useApiQuery(keys.session, api.me, { staleTime: Infinity });
  const signedOut = error?.status === 401;
  // Nothing of the session stays on screen past its end (Log Out in another tab, idle).
  useSessionWatch(me);
  // A call refused for the user's role: their role may have changed; the shell follows /api/me again.
  useEffect(() => setAccessChangedHandler(() => void client.invalidateQueries({ queryKey: keys.session })), [client]);
  // A change whose answer was lost may have been done: the lists on screen show what Gatehouse has.
  useEffect(() => setAnswerLostHandler(() => void client.invalidateQueries({ predicate: (query) => query.queryKey[0] !== keys.session[0] })), [client]);

  useEffect(() => {
    if (!signedOut) return;
    // Nothing of the ended session may show to whoever signs in next.
    client.removeQueries();
    navigate(loginPageFor(`${pathname}${search}`), { replace: true });
  }, [signedOut, client, navigate, pathname, search]);

  if (!me) return signedOut ? null : <SessionPending error={error} onRetry={() => void reload()} />;
  return (
    <MeContext.Provider value={me}>
      <SignedInShell me={me}>
        <Outlet />
      </SignedInShell>
    </MeContext.Provider>
  );
}

import { useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { Outlet, useNavigate } from 'react-router';
import { api, setAccessChangedHandler } from '../api';
import { SessionPending } from '../components/SessionPending';
import { SignedInShell } from '../components/SignedInShell';
import { keys, useApiQuery } from '../data';
import { MeContext } from './context';
import { useSessionWatch } from './useSessionWatch';

/**
 * The frame of every signed-in page. `/api/me` is fetched once and kept (it changes only
 * through this app: a profile save or a role transfer invalidates it); moving between
 * pages reuses it. A missing session sends the browser to the login page.
 */
export function SignedInLayout() {
  const navigate = useNavigate();
  const client = useQueryClient();
  const { data: me, error, reload } = useApiQuery(keys.session, api.me, { staleTime: Infinity });
  const signedOut = error?.status === 401;
  // Nothing of the session stays on screen past its end (Log Out in another tab, idle).
  useSessionWatch(me);
  // A call refused for the user's role: their role may have changed; the shell follows /api/me again.
  useEffect(() => setAccessChangedHandler(() => void client.invalidateQueries({ queryKey: keys.session })), [client]);

  useEffect(() => {
    if (!signedOut) return;
    // Nothing of the ended session may show to whoever signs in next.
    client.removeQueries();
    navigate('/login', { replace: true });
  }, [signedOut, client, navigate]);

  if (!me) return signedOut ? null : <SessionPending error={error} onRetry={() => void reload()} />;
  return (
    <MeContext.Provider value={me}>
      <SignedInShell me={me}>
        <Outlet />
      </SignedInShell>
    </MeContext.Provider>
  );
}

import { useCallback, useEffect, useState } from 'react';
import { useNavigate } from 'react-router';
import { api, ApiError, type Me } from '../api';

/** Loads the signed-in user; a missing session sends the browser to the login page. */
export function useSession() {
  const navigate = useNavigate();
  const [me, setMe] = useState<Me | null>(null);
  const [error, setError] = useState<ApiError | null>(null);

  const load = useCallback(async () => {
    setError(null);
    try {
      setMe(await api.me());
    } catch (caught) {
      if (caught instanceof ApiError && caught.status === 401) {
        navigate('/login', { replace: true });
        return;
      }
      setError(caught instanceof ApiError ? caught : new ApiError(0, 'client.unexpected', 'Something went wrong.'));
    }
  }, [navigate]);

  useEffect(() => {
    void load();
  }, [load]);

  return { me, error, reload: load };
}

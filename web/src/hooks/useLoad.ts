import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError } from '../api';

/** Loads a list for a tab and reloads on demand, e.g. after an action changed it. */
export function useLoad<T>(load: () => Promise<T>) {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(true);
  // Only the latest call may write: a slow answer for an old filter must not win.
  const latest = useRef(0);

  const reload = useCallback(async () => {
    const call = ++latest.current;
    setLoading(true);
    setError(null);
    try {
      const result = await load();
      if (call === latest.current) setData(result);
    } catch (caught) {
      if (call === latest.current) {
        setError(caught instanceof ApiError ? caught : new ApiError(0, 'client.unexpected', 'Something went wrong.'));
      }
    } finally {
      if (call === latest.current) setLoading(false);
    }
  }, [load]);

  useEffect(() => {
    void reload();
  }, [reload]);

  return { data, error, loading, reload };
}

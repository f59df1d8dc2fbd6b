import { useCallback, useState } from 'react';
import { ApiError } from '../api';

function asApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  console.error(error);
  return new ApiError(0, 'client.unexpected', 'Something went wrong. Try again.');
}

/**
 * Runs one API call at a time for a form or button: tracks `pending` and keeps the last
 * error so the page can show it. `handle` may claim an error (return true) to deal with
 * it itself, for example an expired login flow that sends the user back to the start.
 */
export function useAction() {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  const run = useCallback(
    async <T>(call: () => Promise<T>, handle?: (error: ApiError) => boolean): Promise<T | undefined> => {
      setPending(true);
      setError(null);
      try {
        return await call();
      } catch (caught) {
        const apiError = asApiError(caught);
        if (!handle?.(apiError)) setError(apiError);
        return undefined;
      } finally {
        setPending(false);
      }
    },
    [],
  );

  return { pending, error, setError, run };
}

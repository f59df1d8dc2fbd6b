import { QueryClient } from '@tanstack/react-query';

/**
 * One cache for the whole app. Lists are refetched whenever a tab or page opens again
 * (stale at once), but shown from the cache meanwhile. A failed load shows its error and
 * a "Try again" at once rather than retrying behind a spinner, and nothing refetches just
 * because the window got focus (an open dialog's list should not shift under the user).
 */
export function createQueryClient() {
  return new QueryClient({
    defaultOptions: {
      queries: { retry: false, refetchOnWindowFocus: false, staleTime: 0 },
      mutations: { retry: false },
    },
  });
}

import { useQuery, type QueryKey } from '@tanstack/react-query';
import { ApiError } from '../api';

export const asApiError = (error: unknown) =>
  error instanceof ApiError ? error : new ApiError(0, 'client.unexpected', 'Something went wrong.');

/**
 * A resource loaded through the query cache, in the shape the pages render: `data` is
 * null until the first answer, `error` is always an ApiError, and `loading` is true while
 * any fetch (the first or a refresh) is under way; `updatedAt` changes with every answer.
 */
export function useApiQuery<T>(
  queryKey: QueryKey,
  load: () => Promise<T>,
  options: { enabled?: boolean; staleTime?: number } = {},
) {
  const query = useQuery({ queryKey, queryFn: () => load(), ...options });
  return {
    data: query.data ?? null,
    error: query.error ? asApiError(query.error) : null,
    loading: query.isFetching,
    updatedAt: query.dataUpdatedAt,
    reload: () => query.refetch(),
  };
}

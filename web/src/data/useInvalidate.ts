import { useQueryClient, type QueryKey } from '@tanstack/react-query';
import { useCallback } from 'react';

/**
 * After a change, marks what it changed as out of date: lists on screen refetch at once,
 * others when they are next shown. Keys are prefixes (`keys.company.all` is every company list).
 */
export function useInvalidate() {
  const client = useQueryClient();
  return useCallback(
    (...changed: QueryKey[]) => Promise.all(changed.map((queryKey) => client.invalidateQueries({ queryKey }))),
    [client],
  );
}

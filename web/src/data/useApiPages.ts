import { keepPreviousData, useInfiniteQuery, type QueryKey } from '@tanstack/react-query';
import { asApiError } from './useApiQuery';

interface Page {
  nextCursor: string | null;
  total: number;
}

/**
 * A long list loaded a page at a time through the query cache, following the server's
 * cursor: `items` are the rows of every page loaded so far (null until the first answer),
 * `total` how many the server's filter matches, `loadMore` the next page. A refresh or an
 * invalidation loads the pages shown again from the first. Another filter (a new key) keeps
 * the rows shown until its first page comes. A failed first page is `error`; a failed
 * "more" is `moreError`, and the rows already shown stay.
 */
export function useApiPages<P extends Page, T>(queryKey: QueryKey, load: (cursor: string | null) => Promise<P>, itemsOf: (page: P) => T[]) {
  const query = useInfiniteQuery({
    queryKey,
    queryFn: ({ pageParam }) => load(pageParam),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
    placeholderData: keepPreviousData,
  });
  const pages = query.data?.pages;
  const error = query.error ? asApiError(query.error) : null;
  return {
    items: pages ? pages.flatMap(itemsOf) : null,
    total: pages?.at(-1)?.total ?? 0,
    error: query.isFetchNextPageError ? null : error,
    moreError: query.isFetchNextPageError ? error : null,
    /** A first page or a refresh under way (not a "more"). */
    loading: query.isFetching && !query.isFetchingNextPage,
    loadingMore: query.isFetchingNextPage,
    hasMore: query.hasNextPage,
    loadMore: () => query.fetchNextPage(),
    reload: () => query.refetch(),
  };
}

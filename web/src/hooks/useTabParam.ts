import { useSearchParams } from 'react-router';

/**
 * The open tab lives in the address (?tab=), so a reload or a shared link keeps it; the
 * first tab is the default and leaves the address clean.
 */
export function useTabParam<T extends string>(tabs: readonly T[]): [T, (value: string | null) => void] {
  const [params, setParams] = useSearchParams();
  const requested = params.get('tab');
  const first = tabs[0] as T;
  const tab = tabs.find((name) => name === requested) ?? first;
  const setTab = (value: string | null) => setParams(value && value !== first ? { tab: value } : {}, { replace: true });
  return [tab, setTab];
}

import { createContext, useContext } from 'react';
import type { Me } from '../api';

export const MeContext = createContext<Me | null>(null);

/** The signed-in user, for pages under the signed-in layout (which loads it once). */
export function useMe(): Me {
  const me = useContext(MeContext);
  if (!me) throw new Error('useMe is for pages inside SignedInLayout');
  return me;
}

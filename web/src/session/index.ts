// The signed-in session: loaded once by the signed-in layout and shared through context.
export { useMe } from './context';
export { SignedInLayout } from './SignedInLayout';
export { useForgetSession } from './useForgetSession';

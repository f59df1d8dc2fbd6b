// The web app's data layer: one query cache (TanStack Query), its keys, and the hooks
// pages load and invalidate through. The API calls themselves stay in api.ts and api/.
export { createQueryClient } from './client';
export { keys } from './keys';
export { useApiPages } from './useApiPages';
export { useApiQuery } from './useApiQuery';
export { useInvalidate } from './useInvalidate';

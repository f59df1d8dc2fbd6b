// Lookups remembered for the length of one provider request, so that what the provider
// asks twice within a request (the session behind a grant: once when it finds the grant,
// once in findAccount; a token without a type hint: once per token model) costs one
// query. Only for the routes listed, which read tokens and never end sessions: within
// them, remembering is the same as reading everything at the request's start. The client
// is remembered on the resume as well (CLIENT_MEMO_ROUTES). Outside a provider request, or
// on other routes, every call loads afresh.
import { Provider } from 'oidc-provider';

const MEMO_ROUTES = new Set(['token', 'userinfo', 'introspection']);
/**
 * The client is remembered on the resume too: it is read there with the sign-in's record
 * (adapter.ts), and nothing in a provider request changes a module.
 */
export const CLIENT_MEMO_ROUTES: ReadonlySet<string> = new Set([...MEMO_ROUTES, 'resume']);
const memos = new WeakMap<object, Map<string, Promise<unknown>>>();

/** The provider route being served, if any (oidc-provider keeps its context in AsyncLocalStorage). */
export function currentRoute(): string | undefined {
  return (Provider.ctx as { oidc?: { route?: string } } | undefined)?.oidc?.route;
}

/** This request's memo, if it is a provider request on one of `routes`. */
function memoOfRequest(routes: ReadonlySet<string>) {
  const ctx = Provider.ctx as ({ oidc?: { route?: string } } & object) | undefined;
  if (!ctx || !routes.has(ctx.oidc?.route ?? '')) return undefined;
  let memo = memos.get(ctx);
  if (!memo) memos.set(ctx, (memo = new Map()));
  return memo;
}

export function rememberForRequest<T>(key: string, load: () => Promise<T>, routes: ReadonlySet<string> = MEMO_ROUTES): Promise<T> {
  const memo = memoOfRequest(routes);
  if (!memo) return load();
  let found = memo.get(key) as Promise<T> | undefined;
  if (!found) {
    found = load();
    memo.set(key, found);
    // A failed lookup is not remembered: the next caller tries again.
    found.catch(() => memo.delete(key));
  }
  return found;
}

/** Whether lookups made now are remembered for the request (a provider request on a token route). */
export function rememberingForRequest(): boolean {
  return MEMO_ROUTES.has(currentRoute() ?? '');
}

/** Remembers what a query read along with something else (a token's grant), as if `key` had been loaded. */
export function seedForRequest<T>(key: string, value: T, routes: ReadonlySet<string> = MEMO_ROUTES): void {
  memoOfRequest(routes)?.set(key, Promise.resolve(value));
}

/** After a write within the request: the next lookup of `key` (or of every key it begins, with `prefix`) reads again. */
export function forgetForRequest(key: string, options: { prefix?: boolean } = {}): void {
  const memo = memoOfRequest(MEMO_ROUTES);
  if (!memo) return;
  if (!options.prefix) memo.delete(key);
  else for (const remembered of [...memo.keys()]) if (remembered.startsWith(key)) memo.delete(remembered);
}

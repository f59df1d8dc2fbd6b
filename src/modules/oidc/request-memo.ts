// Lookups remembered for the length of one provider request, so that what the provider
// asks twice within a request (the session behind a grant: once when it finds the grant,
// once in findAccount; a token without a type hint: once per token model) costs one
// query. Only for the routes listed, which read tokens and never end sessions: within
// them, remembering is the same as reading everything at the request's start. Outside a
// provider request, or on other routes, every call loads afresh.
import { Provider } from 'oidc-provider';

const MEMO_ROUTES = new Set(['token', 'userinfo', 'introspection']);
const memos = new WeakMap<object, Map<string, Promise<unknown>>>();

/** The provider route being served, if any (oidc-provider keeps its context in AsyncLocalStorage). */
export function currentRoute(): string | undefined {
  return (Provider.ctx as { oidc?: { route?: string } } | undefined)?.oidc?.route;
}

export function rememberForRequest<T>(key: string, load: () => Promise<T>, routes: ReadonlySet<string> = MEMO_ROUTES): Promise<T> {
  const ctx = Provider.ctx as ({ oidc?: { route?: string } } & object) | undefined;
  if (!ctx || !routes.has(ctx.oidc?.route ?? '')) return load();
  let memo = memos.get(ctx);
  if (!memo) memos.set(ctx, (memo = new Map()));
  let found = memo.get(key) as Promise<T> | undefined;
  if (!found) {
    found = load();
    memo.set(key, found);
    // A failed lookup is not remembered: the next caller tries again.
    found.catch(() => memo.delete(key));
  }
  return found;
}

// What route files receive: the capabilities' dependencies and the cookie names.
import type { CoreDeps } from '../shared/deps.ts';
import type { CookieNames } from './cookies.ts';

export interface HttpContext {
  deps: CoreDeps;
  cookies: CookieNames;
}

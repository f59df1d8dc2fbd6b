// What an API client may be allowed to do. A scope names a resource and read or write;
// the ones that reach across companies (companies, account requests, the module catalogue)
// belong to platform clients only.
import { API_SCOPES, PLATFORM_ONLY_API_SCOPES, type ApiScope } from '../contract/api-v1.ts';
import { GatehouseError } from '../errors.ts';

export { API_SCOPES, type ApiScope };

// The list lives in the contract, so the web app offers a company only what it may have.
export const PLATFORM_ONLY_SCOPES: ReadonlySet<ApiScope> = new Set(PLATFORM_ONLY_API_SCOPES);

export function isApiScope(value: string): value is ApiScope {
  return (API_SCOPES as readonly string[]).includes(value);
}

/** Known, at least one, each once, in the catalogue's order; platform-only ones refused for a company's client. */
export function checkScopes(given: readonly string[], forCompany: boolean): ApiScope[] {
  const unknown = given.filter((scope) => !isApiScope(scope));
  if (unknown.length > 0) {
    throw new GatehouseError('request.invalid', { fields: { scopes: `Unknown scope ${unknown.join(', ')}. Scopes: ${API_SCOPES.join(', ')}.` } });
  }
  const wanted = API_SCOPES.filter((scope) => given.includes(scope));
  if (wanted.length === 0) throw new GatehouseError('request.invalid', { fields: { scopes: 'Choose at least one scope.' } });
  const platformOnly = wanted.filter((scope) => PLATFORM_ONLY_SCOPES.has(scope));
  if (forCompany && platformOnly.length > 0) {
    throw new GatehouseError('request.invalid', {
      fields: { scopes: `${platformOnly.join(', ')} ${platformOnly.length === 1 ? 'is' : 'are'} for platform API clients only: a company's API client cannot have ${platformOnly.length === 1 ? 'it' : 'them'}.` },
    });
  }
  return wanted;
}

export function parseStoredScopes(text: string): ApiScope[] {
  const parsed: unknown = JSON.parse(text);
  return Array.isArray(parsed) ? parsed.filter((s): s is ApiScope => typeof s === 'string' && isApiScope(s)) : [];
}

/**
 * What a client-credentials token request asks for beyond its client's scopes (`allowed`,
 * space-separated as the provider holds them): every value outside them, known or not.
 * The provider refuses a known one itself but drops an unknown one without a word, and a
 * token that asked for nothing carries all of its client's scopes, so `scope=users:admin`
 * got every one. Any value here refuses the token (src/modules/oidc/provider.ts).
 */
export function scopesBeyond(requested: string | undefined, allowed: string | undefined): string[] {
  const granted = new Set((allowed ?? '').split(' ').filter(Boolean));
  return [...new Set((requested ?? '').split(' ').filter(Boolean))].filter((scope) => !granted.has(scope));
}

// The `form_post` response mode (advertised in discovery): the provider answers the
// authorization with a page whose inline script posts the code (or the error) to the
// module's redirect URI. Gatehouse's pages let forms post only to Gatehouse (CSP
// `form-action 'self'`, src/http/security-headers.ts), so a real browser refused that
// post and the sign-in stopped on a blank page. That one page gets a policy of its own:
// its own script (by hash) and nothing else to load, and its form may post out.
//
// `form-action *` rather than the redirect URI's origin: browsers apply form-action to the
// redirects that follow a form's post too, and a module's callback may send the browser on
// to another of its origins. The page is the provider's, built from the validated redirect
// URI and escaped values, so there is no markup of anyone else's for the directive to guard.
import { createHash } from 'node:crypto';
import type { KoaContextWithOIDC } from 'oidc-provider';

const INLINE_SCRIPT = /<script>([\s\S]*?)<\/script>/;

/** The policy of the provider's self-posting page: its one script, a form that may post out, nothing else. */
function formPostPolicy(inlineScript: string): string {
  const digest = createHash('sha256').update(inlineScript, 'utf8').digest('base64');
  return `default-src 'none'; script-src 'sha256-${digest}'; form-action *; frame-ancestors 'none'; base-uri 'none'`;
}

/** The form's action as the provider writes it (its html-safe escaping), to recognise its page. */
const escapedAttribute = (value: string) => value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

/**
 * After the provider has answered: when the answer is its form_post page for the
 * request's (validated) redirect URI, the page gets formPostPolicy. Any other answer,
 * an error page rendered instead included, keeps the policy it has.
 */
export function giveFormPostPageItsPolicy(koaCtx: unknown): void {
  const ctx = koaCtx as Partial<KoaContextWithOIDC> & { body?: unknown; set(name: string, value: string): void };
  const params = ctx.oidc?.params as { response_mode?: unknown; redirect_uri?: unknown } | undefined;
  if (params?.response_mode !== 'form_post' || typeof params.redirect_uri !== 'string' || typeof ctx.body !== 'string') return;
  if (!ctx.body.includes(`<form method="post" action="${escapedAttribute(params.redirect_uri)}">`)) return;
  const script = INLINE_SCRIPT.exec(ctx.body)?.[1];
  if (script === undefined) return;
  ctx.set('content-security-policy', formPostPolicy(script));
}

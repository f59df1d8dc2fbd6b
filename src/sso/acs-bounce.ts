// The SAML answer's way back in. A provider's page posts its answer to the ACS from the
// provider's site: a cross-site POST, which carries none of Gatehouse's cookies
// (SameSite=Lax). Read there, the answer could only move on whatever sign-in its request
// names, whichever browser brought it, so someone could start a sign-in, send the link to a
// person signed in at the provider, and be signed in as them. So the ACS reads nothing: it
// answers with this page, which posts the answer on to /continue from Gatehouse's own
// origin, where the browser sends its cookies and sign-in.ts checks that it is the browser
// that started the request. Its script (allowed by hash, nothing else) submits the form at
// once; without script the person presses Continue.
import { createHash } from 'node:crypto';
import { escapeHtml } from '../shared/html.ts';

const SUBMIT = 'document.forms[0].submit();';
const SUBMIT_HASH = createHash('sha256').update(SUBMIT, 'utf8').digest('base64');

/** The page's headers: its one script, forms to Gatehouse only, and an Origin on its post (no-referrer would send `null`). */
export const ACS_BOUNCE_HEADERS = {
  'content-security-policy': `default-src 'none'; script-src 'sha256-${SUBMIT_HASH}'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
  'referrer-policy': 'same-origin',
  'cache-control': 'no-store',
};


/** The page that posts `samlResponse` on to `action` (a path of Gatehouse's). */
export function acsBouncePage(action: string, samlResponse: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Signing you in · Gatehouse</title></head>
<body style="font-family:system-ui,sans-serif;margin:10vh auto;max-width:440px">
<form method="post" action="${escapeHtml(action)}"><input type="hidden" name="SAMLResponse" value="${escapeHtml(samlResponse)}">
<p>Your identity provider has answered.</p><button type="submit">Continue</button></form>
<script>${SUBMIT}</script>
</body></html>`;
}

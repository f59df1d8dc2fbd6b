// The few HTML pages the provider itself renders (errors, logout confirmation, refusal).
// Small, self-contained, no script; values are escaped.
import { escapeHtml } from '../../shared/html.ts';

// form-action does not fall back to default-src: these pages post nowhere.
export const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

export function page(title: string, bodyHtml: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Gatehouse</title>
<style>
body{margin:0;background:#f1f3f5;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#212529}
main{max-width:440px;margin:10vh auto;background:#fff;border-radius:10px;padding:32px;box-shadow:0 1px 3px rgba(0,0,0,.1)}
.brand{font-weight:700;color:#1c3d5a;margin-bottom:16px;font-size:18px}
h1{font-size:22px;margin:0 0 12px}p{line-height:1.55}
button,.button{display:inline-block;font:inherit;font-weight:600;padding:10px 18px;border-radius:6px;border:0;background:#228be6;color:#fff;cursor:pointer;text-decoration:none;margin-right:8px}
button.secondary{background:#e9ecef;color:#212529}
</style></head>
<body><main><div class="brand">Gatehouse</div><h1>${escapeHtml(title)}</h1>${bodyHtml}</main></body></html>`;
}

export function errorPage(title: string, message: string): string {
  return page(title, `<p>${escapeHtml(message)}</p><p><a class="button" href="/">Go to Gatehouse</a></p>`);
}

// The logout page posts to the provider, which then redirects to the module's registered
// post-logout URI: form-action must allow that redirect.
export const LOGOUT_PAGE_CSP = PAGE_CSP.replace("form-action 'none'", 'form-action *');

/** The provider's logout form, spelled as oidc-provider spells it: its xsrf value ties the POST to this page. */
export function logoutForm(action: string, xsrf: string): string {
  return `<form id="op.logoutForm" method="post" action="${escapeHtml(action)}"><input type="hidden" name="xsrf" value="${escapeHtml(xsrf)}"/></form>`;
}

/**
 * Neither button has the focus when the page opens: another site can open it, and a key
 * the user was pressing there would otherwise press the focused button.
 */
export function logoutPage(form: string, clientName: string | undefined): string {
  const who = clientName ? ` from ${escapeHtml(clientName)} and Gatehouse` : ' from Gatehouse';
  return page(
    'Log Out',
    `<p>Do you want to log out${who}?</p>${form}
<button type="submit" form="op.logoutForm" value="yes" name="logout">Log Out</button>
<button class="secondary" type="submit" form="op.logoutForm">Stay Logged In</button>`,
  );
}

/** Where the logout page leads when it has nowhere else to go: what it ended, truly. */
export function loggedOutPage(gatehouseSessionLive: boolean, clientName: string | undefined, stillSignedInToClient = false): string {
  if (!gatehouseSessionLive) return errorPage('You have logged out', 'You are now logged out of Gatehouse.');
  const from = clientName ? escapeHtml(clientName) : 'the application';
  // Reached by a link, not a logout: say what is so.
  if (stillSignedInToClient) {
    return page('You are still logged in', `<p>You are still logged in to ${from} and to Gatehouse.</p><p><a class="button" href="/">Go to Gatehouse</a></p>`);
  }
  return page(
    `Logged out of ${clientName ?? 'the application'}`,
    `<p>You are logged out of ${from}. You are still logged in to Gatehouse.</p><p><a class="button" href="/">Go to Gatehouse</a></p>`,
  );
}

/** A module sign-in that is not there: expired, already completed, or begun in another browser. */
export const SIGN_IN_EXPIRED_PAGE = errorPage('This sign-in has expired', 'Go back to the application and start signing in again.');

/** A sign-in whose redirect URI the module's operators removed after it began: it cannot be answered there. */
export const SIGN_IN_ADDRESS_GONE_PAGE = errorPage(
  'This sign-in can no longer finish',
  "The application's sign-in address changed while you were signing in. Go back to the application and start signing in again.",
);

/**
 * The page a user sees at a module they may not use: the company has not got it switched
 * on, or (`not_in_group`) the company gives it to some of its groups and not to theirs.
 */
export function refusedPage(moduleName: string, companyName: string, why: 'not_enabled' | 'not_in_group' = 'not_enabled'): string {
  const text =
    why === 'not_in_group'
      ? `<p>${escapeHtml(companyName)} gives ${escapeHtml(moduleName)} only to some of its groups, and your account is in none of them.</p>
<p>Ask a Master of your company to add you to a group that may use it.</p>`
      : `<p>${escapeHtml(moduleName)} is not enabled for ${escapeHtml(companyName)}.</p>
<p>Ask a Master of your company to enable it, or your account manager to add it to your company's account.</p>`;
  return page('This module is not available', `${text}
<p><a class="button" href="/">Back to Gatehouse</a></p>`);
}

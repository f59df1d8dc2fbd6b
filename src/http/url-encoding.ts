// A URL's percent-escapes are UTF-8 (RFC 3986 §2.5, RFC 3987; what browsers and
// encodeURIComponent write), as a JSON body is (json-body.ts). Through the query string,
// one that named bytes that are not UTF-8 was read leniently: Fastify's parser kept the
// escape as its raw text ("?q=Caf%E9" searched for "Caf%E9" and answered 200), and the
// provider's under /oidc (node:querystring) put U+FFFD in its place, so a `state` came
// back to its client changed. The router refused such a path, but as a malformed request.
// Both are now 400 request.not_utf8, decided by one check of the URL as sent.

/** An escape of a byte from 0x80 up: only those start or continue a multi-byte character. */
const HIGH_ESCAPE = /%[89A-Fa-f][0-9A-Fa-f]/;
/** A run of escapes with nothing between them: the bytes of a multi-byte character are one run. */
const ESCAPE_RUN = /(?:%[0-9A-Fa-f]{2})+/g;

/**
 * Whether a request target's percent-escapes name bytes that are not UTF-8: a byte never
 * in UTF-8 (%FF), a Latin-1 byte (%E9), a sequence cut short (%C3, %E2%82) or followed by
 * text (%C3x), an overlong form (%C0%AF), an encoded surrogate (%ED%A0%80), a code point
 * past U+10FFFF. A broken escape (`%zz`, `%`) is no answer here: the router refuses it in
 * a path, and a query keeps it as text. Runs on every request, so a URL with no escape of
 * a byte from 0x80 up (every URL of the token endpoint, almost every other) is looked at
 * once with indexOf and at most once more with one regular expression.
 */
export function escapesNotUtf8(url: string | undefined): boolean {
  if (url === undefined || url.indexOf('%') === -1 || !HIGH_ESCAPE.test(url)) return false;
  for (const [run] of url.matchAll(ESCAPE_RUN)) {
    if (!HIGH_ESCAPE.test(run)) continue;
    try {
      // Throws URIError on any sequence that is not UTF-8, overlong forms and surrogates included.
      decodeURIComponent(run);
    } catch {
      return true;
    }
  }
  return false;
}

// The WWW-Authenticate challenge of the admin API's bearer tokens (RFC 6750 §3), made in
// one place: by the guard as it refuses a token, and by the error renderer for a missing
// scope refused anywhere else (a handler's own check), so no such refusal goes without one.
const REALM = 'Gatehouse API';

export function bearerChallenge(params: Record<string, string> = {}): string {
  return `Bearer realm="${REALM}"${Object.entries(params)
    .map(([key, value]) => `, ${key}="${value}"`)
    .join('')}`;
}

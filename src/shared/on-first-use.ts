// Libraries that only some capabilities need (SAML, OpenID Connect sign-in, passkeys, QR
// codes, SMTP) load when one is first used instead of at start: each is megabytes of every
// node's memory, and most nodes use few of them or use them rarely (docs/PERFORMANCE-LOG.md,
// Memory). Every caller after the first shares the same loading promise.
export function onFirstUse<T>(load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () => (loading ??= load());
}

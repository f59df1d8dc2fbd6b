/**
 * `value` as a path of this site, or undefined when it would leave it. Parsed as the
 * browser would follow it, not compared as text: `//host`, `/\host`, a tab or newline a
 * browser drops (`/\t/host`) and every other spelling of another origin are refused
 * alike. The answer is the parsed path (with its query and fragment), so what is followed
 * is what was checked.
 */
export function sameOriginPath(value: string | null | undefined, origin: string): string | undefined {
  if (!value?.startsWith('/')) return undefined;
  let url: URL;
  try {
    url = new URL(value, origin);
  } catch {
    return undefined;
  }
  return url.origin === origin ? `${url.pathname}${url.search}${url.hash}` : undefined;
}

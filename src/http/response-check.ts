// The strict half of response serialization: the serializer keeps only what a route's
// schema declares, so a field the schema forgot would vanish without a word. Outside
// production such a response is refused instead, and the test that made it fails.

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);

/** Throws when `sent` lacks a defined field of `given` (at any depth). */
export function assertNothingDropped(given: unknown, sent: unknown, route: string, path = ''): void {
  if (Array.isArray(given) && Array.isArray(sent)) {
    given.forEach((item, index) => assertNothingDropped(item, sent[index], route, `${path}[${index}]`));
    return;
  }
  if (!isPlainObject(given) || !isPlainObject(sent)) return;
  for (const [key, value] of Object.entries(given)) {
    if (value === undefined) continue;
    const at = path ? `${path}.${key}` : key;
    if (!(key in sent)) throw new Error(`${route}: the response schema does not declare "${at}"`);
    assertNothingDropped(value, sent[key], route, at);
  }
}

// The fields an /api/v1 request names that its route does not take. zod drops them
// quietly, and for an automation that is a mistake made silently: `minPasswordLength` for
// `passwordMinLength` answered 200 and changed nothing, `?staus=approved` listed the
// pending requests. On /api/v1 each such field is refused by name (400 request.invalid);
// the web app's own routes keep ignoring them (docs/API.md, Conventions).
import type { z } from 'zod';

/** The top-level keys `schema` takes, or undefined where it takes any (a loose object, or not an object). */
function keysTaken(schema: z.ZodType): Set<string> | undefined {
  const def = (schema as unknown as { _zod?: { def?: Record<string, unknown> } })._zod?.def;
  if (!def) return undefined;
  if (def.type === 'optional' || def.type === 'nullable' || def.type === 'default' || def.type === 'prefault') return keysTaken(def.innerType as z.ZodType);
  if (def.type === 'pipe') return keysTaken(def.in as z.ZodType);
  if (def.type !== 'object') return undefined;
  const catchall = def.catchall as { _zod?: { def?: { type?: string } } } | undefined;
  if (catchall && catchall._zod?.def?.type !== 'never') return undefined;
  return new Set(Object.keys(def.shape as Record<string, unknown>));
}

const NOT_TAKEN = 'This request does not take this field: check its name (the API reference lists the fields).';

function refusalOf(unknown: string[]): Record<string, string> | undefined {
  return unknown.length === 0 ? undefined : Object.fromEntries(unknown.map((key) => [key, NOT_TAKEN]));
}

/** A refusal's fields for each key of `data` that `schema` does not take (none: undefined). */
export function unknownFields(schema: z.ZodType, data: unknown): Record<string, string> | undefined {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return undefined;
  const taken = keysTaken(schema);
  if (!taken) return undefined;
  return refusalOf(Object.keys(data).filter((key) => !taken.has(key)));
}

/** The refusal of a body sent to an operation that takes none, whatever it holds. */
export const BODY_NOT_TAKEN: Readonly<Record<string, string>> = Object.freeze({ body: 'This request takes no body.' });

/**
 * The same for a part the operation declares no schema for: it takes nothing there, so
 * every field is unknown (`POST .../policy?passwordMinLength=20` on a change that takes no
 * query; `{ "enabled": false }` to a grant that takes no body). Fastify validates only the
 * parts a route declares, so these are checked before validation instead (api-contract.ts).
 */
export function fieldsOfUndeclared(data: unknown): Record<string, string> | undefined {
  if (data === null || data === undefined || data === '') return undefined;
  if (typeof data !== 'object' || Array.isArray(data)) return BODY_NOT_TAKEN;
  return refusalOf(Object.keys(data));
}

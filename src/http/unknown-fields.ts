// The fields an /api/v1 request names that its route does not take. zod drops them
// quietly, and for an automation that is a mistake made silently: `minPasswordLength` for
// `passwordMinLength` answered 200 and changed nothing, `?staus=approved` listed the
// pending requests. On /api/v1 each such field is refused by name (400 request.invalid);
// the web app's own routes keep ignoring them (docs/API.md, Conventions).
import type { z } from 'zod';

type Def = Record<string, unknown> & { type?: string };
const defOf = (schema: unknown): Def | undefined => (schema as { _zod?: { def?: Def } } | undefined)?._zod?.def;

/** `schema` with its wrappers taken off (optional, nullable, a default, a pipe's input): what the data is checked against. */
function unwrapped(schema: unknown): Def | undefined {
  const def = defOf(schema);
  if (!def) return undefined;
  if (def.type === 'optional' || def.type === 'nullable' || def.type === 'default' || def.type === 'prefault') return unwrapped(def.innerType);
  if (def.type === 'pipe') return unwrapped(def.in);
  return def;
}

/** The fields `schema` takes, by name, or undefined where it takes any (a loose object, or not an object). */
function shapeTaken(def: Def): Record<string, unknown> | undefined {
  if (def.type !== 'object') return undefined;
  const catchall = defOf(def.catchall);
  if (def.catchall && catchall?.type !== 'never') return undefined;
  return def.shape as Record<string, unknown>;
}

const NOT_TAKEN = 'This request does not take this field: check its name (the API reference lists the fields).';

function refusalOf(unknown: string[]): Record<string, string> | undefined {
  return unknown.length === 0 ? undefined : Object.fromEntries(unknown.map((key) => [key, NOT_TAKEN]));
}

/**
 * The dotted paths (as a refusal names a field: validate.ts) of every field in `data` that
 * `schema` does not take, at any depth: an object's fields, and those of each object in a
 * list (`rows.0.emial`). A value the schema does not describe as an object or a list of
 * them (a union, a record, a scalar) is not looked into.
 */
function unknownPaths(schema: unknown, data: unknown, at: string): string[] {
  if (data === null || typeof data !== 'object') return [];
  const def = unwrapped(schema);
  if (!def) return [];
  if (Array.isArray(data)) return def.type === 'array' ? data.flatMap((item, i) => unknownPaths(def.element, item, `${at}${i}.`)) : [];
  const shape = shapeTaken(def);
  if (!shape) return [];
  return Object.entries(data).flatMap(([key, value]) => (Object.hasOwn(shape, key) ? unknownPaths(shape[key], value, `${at}${key}.`) : [`${at}${key}`]));
}

/** A refusal's fields for each field of `data`, at any depth, that `schema` does not take (none: undefined). */
export function unknownFields(schema: z.ZodType, data: unknown): Record<string, string> | undefined {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return undefined;
  return refusalOf(unknownPaths(schema, data, ''));
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

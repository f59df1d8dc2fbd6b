// Every request field of every route, as the server registered them: for tests that hold
// each field to a rule (test/http/nul-input.test.ts: no control characters;
// request-ids-any-case.test.ts: ids in either case).
import diagnostics from 'node:diagnostics_channel';
import type { FastifyInstance, RouteOptions } from 'fastify';
import type { z } from 'zod';
import { startTestServer } from './server.ts';

type Def = { type: string; [key: string]: unknown };
const defOf = (schema: z.ZodType) => (schema as unknown as { _zod: { def: Def } })._zod.def;
const WRAPPERS = new Set(['optional', 'nullable', 'default', 'prefault', 'readonly', 'catch', 'nonoptional']);
const CONTAINERS = new Set(['object', 'array', 'union', 'record', 'tuple', 'intersection']);
const unwrapped = (schema: z.ZodType): z.ZodType => (WRAPPERS.has(defOf(schema).type) ? unwrapped(defOf(schema).innerType as z.ZodType) : schema);

/** Every field a schema reads, by path: the values (strings, numbers, a pipe's whole) a request fills in. */
export function* fieldsOf(schema: z.ZodType, path: string): Generator<{ path: string; schema: z.ZodType }> {
  const inner = unwrapped(schema);
  const def = defOf(inner);
  const walk = (child: unknown, at: string) => fieldsOf(child as z.ZodType, at);
  if (def.type === 'object') for (const [key, child] of Object.entries(def.shape as Record<string, z.ZodType>)) yield* walk(child, `${path}.${key}`);
  else if (def.type === 'array') yield* walk(def.element, `${path}[]`);
  else if (def.type === 'record') {
    yield* walk(def.keyType, `${path}{key}`);
    yield* walk(def.valueType, `${path}{}`);
  } else if (def.type === 'union') for (const option of def.options as z.ZodType[]) yield* walk(option, path);
  else if (def.type === 'intersection') {
    yield* walk(def.left, path);
    yield* walk(def.right, path);
  } else if (def.type === 'tuple') for (const [i, item] of (def.items as z.ZodType[]).entries()) yield* walk(item, `${path}[${i}]`);
  // A preprocess (empty means absent) reads what its schema reads; a refined or transformed
  // object is still its fields; a value pipe (trim, then an email's shape) is one field.
  else if (def.type === 'pipe' && defOf(def.in as z.ZodType).type === 'transform') yield* walk(def.out, path);
  else if (def.type === 'pipe' && CONTAINERS.has(defOf(unwrapped(def.in as z.ZodType)).type)) yield* walk(def.in, path);
  else yield { path, schema: inner };
}

/** Every route's schemas as the server registered them: Fastify announces each new instance, before its routes. */
export async function routesOfAServer(): Promise<RouteOptions[]> {
  const routes: RouteOptions[] = [];
  const collect = (message: unknown) => (message as { fastify: FastifyInstance }).fastify.addHook('onRoute', (route) => void routes.push(route));
  diagnostics.subscribe('fastify.initialization', collect);
  try {
    const server = await startTestServer();
    await server.close();
  } finally {
    diagnostics.unsubscribe('fastify.initialization', collect);
  }
  return routes;
}

/** Every field of every route of a server, named "METHOD /url part.path" (a test's findings list). */
export async function everyRequestField(): Promise<Array<{ name: string; path: string; schema: z.ZodType }>> {
  const found: Array<{ name: string; path: string; schema: z.ZodType }> = [];
  for (const route of await routesOfAServer()) {
    const schemas = (route.schema ?? {}) as Record<string, z.ZodType | undefined>;
    for (const part of ['body', 'querystring', 'params', 'headers']) {
      const schema = schemas[part];
      if (!schema) continue;
      for (const field of fieldsOf(schema, part)) found.push({ name: `${[route.method].flat().join(',')} ${route.url} ${field.path}`, ...field });
    }
  }
  return found;
}

// The API's one contract at run time. Each route declares zod schemas for what it takes
// (body, params, query) and what it answers; from them Fastify validates requests (our
// compiler, so a refused request is the same 400 with a message per field as always),
// serializes responses through the schema (fastify-type-provider-zod: nothing outside the
// schema leaves the server), and @fastify/swagger makes the OpenAPI 3.1 document served at
// GET /api/openapi.json (openapi-document.ts: on its first request, not at start). docs/API.md
// is the guide around that reference.
import type { FastifyInstance, FastifyRequest, FastifySchemaCompiler, FastifySerializerCompiler, FastifyServerOptions, RouteOptions, preValidationHookHandler } from 'fastify';
import { createSerializerCompiler } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import { GatehouseError } from '../errors.ts';
import { invalidInputError } from './validate.ts';
import { API_V1, isUnder } from './route-guards.ts';
import { BODY_NOT_TAKEN, fieldsOfUndeclared, unknownFields } from './unknown-fields.ts';
import { assertNothingDropped } from './response-check.ts';
import { openApiDocument } from './openapi-document.ts';

export const OPENAPI_PATH = '/api/openapi.json';

/**
 * A request that does not fit: a malformed path id is as unknown as a missing one (the
 * same 404, nothing to tell apart); any other part is a 400 naming each field.
 */
const validatorCompiler: FastifySchemaCompiler<z.ZodType> = ({ schema, httpPart, url }) => {
  // /api/v1 names what it does not take (unknown-fields.ts): a body's fields and a query's parameters.
  const namesUnknown = isUnder(url, API_V1) && (httpPart === 'body' || httpPart === 'querystring');
  return (data) => {
    // A POST without a body is validated as an empty object, so its fields are "required".
    const result = schema.safeParse(httpPart === 'body' ? (data ?? {}) : data);
    const unknown = namesUnknown ? unknownFields(schema, data) : undefined;
    if (result.success && !unknown) return { value: result.data };
    if (httpPart === 'params') return { error: new GatehouseError('request.not_found') };
    const fields = { ...(result.success ? {} : invalidInputError(result.error).fields), ...unknown };
    return { error: new GatehouseError('request.invalid', { fields }) };
  };
};

/**
 * The contract's compilers, for Fastify's constructor (`schemaController`): every route
 * validates and serializes through zod. Given there, Fastify never loads its default
 * compilers (ajv and fast-json-stringify, about 100 modules a node would hold for nothing).
 */
export function contractCompilers(strictResponses: boolean) {
  const serialize = createSerializerCompiler({});
  const serializerCompiler: FastifySerializerCompiler<z.ZodType> = (route) => {
    const toJson = serialize(route as Parameters<typeof serialize>[0]);
    if (!strictResponses) return toJson;
    return (data) => {
      const json = toJson(data);
      assertNothingDropped(data, JSON.parse(json), `${route.method} ${route.url}`);
      return json;
    };
  };
  // Fastify types these factories after ajv's compile functions; ours take zod schemas.
  return { buildValidator: () => validatorCompiler, buildSerializer: () => serializerCompiler } as unknown as CompilersFactory;
}

type CompilersFactory = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>;

export interface ContractOptions {
  /** The server's public URL, named as the document's server. */
  publicUrl: URL;
  /**
   * Refuse (500) any response carrying a field its schema does not declare, instead of
   * quietly dropping it: on outside production, so a test sees a drifted schema at once.
   */
  strictResponses: boolean;
  cookieName: string;
}

export interface RouteRecord {
  method: string;
  url: string;
  hasSchema: boolean;
  /** The route's own body limit in bytes; undefined: the app's (BODY_LIMIT_BYTES, app.ts). */
  bodyLimit: number | undefined;
}
/** The routes registered after the contract was installed, as Fastify gave them (one list per app). */
const registeredRoutes = new WeakMap<FastifyInstance, RouteOptions[]>();

/** Every route registered after the contract was installed, a row per method: what the OpenAPI document must cover. */
export function routeTable(app: FastifyInstance): readonly RouteRecord[] {
  return (registeredRoutes.get(app) ?? []).flatMap((route) =>
    [route.method].flat().map((method) => ({ method, url: route.url, hasSchema: route.schema !== undefined, bodyLimit: route.bodyLimit })),
  );
}

/**
 * An /api/v1 operation that declares no body or no query takes nothing there: what is sent
 * there is refused by name before validation, as a declared part's unknown fields are by
 * the validator (which Fastify runs only for the parts a route declares).
 */
/**
 * What an operation that takes no body was sent there. Fastify parses no body on a GET or
 * a HEAD, so one sent anyway (a filter sent the wrong way) would be ignored unseen: its
 * framing headers say it is there.
 */
function bodyFieldsOfUndeclared(request: FastifyRequest): Record<string, string> | undefined {
  if (request.body !== undefined) return fieldsOfUndeclared(request.body);
  const { headers } = request.raw;
  const carriesBody = headers['transfer-encoding'] !== undefined || (headers['content-length'] !== undefined && headers['content-length'] !== '0');
  return carriesBody ? BODY_NOT_TAKEN : undefined;
}

function refuseUndeclaredParts(route: RouteOptions): void {
  const declaresBody = route.schema?.body !== undefined;
  const declaresQuery = route.schema?.querystring !== undefined;
  if (declaresBody && declaresQuery) return;
  const refuse: preValidationHookHandler = function refuseUndeclared(request: FastifyRequest, _reply, done) {
    const fields = { ...(declaresQuery ? {} : fieldsOfUndeclared(request.query)), ...(declaresBody ? {} : bodyFieldsOfUndeclared(request)) };
    done(Object.keys(fields).length > 0 ? new GatehouseError('request.invalid', { fields }) : undefined);
  };
  route.preValidation = [refuse, ...[route.preValidation ?? []].flat()];
}

export async function installApiContract(app: FastifyInstance, options: ContractOptions): Promise<void> {
  const routes: RouteOptions[] = [];
  registeredRoutes.set(app, routes);
  app.addHook('onRoute', (route) => {
    routes.push(route);
    if (isUnder(route.url, API_V1)) refuseUndeclaredParts(route);
  });
  const document = openApiDocument(routes, options);
  app.get(OPENAPI_PATH, { schema: { hide: true } }, async (_request, reply) =>
    reply.header('cache-control', 'no-cache').type('application/json; charset=utf-8').send(await document()),
  );
}

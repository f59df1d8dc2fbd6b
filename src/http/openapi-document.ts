// The OpenAPI 3.1 document of the JSON API, made by @fastify/swagger from the routes' zod
// schemas (fastify-type-provider-zod's transforms) when it is first asked for, not at start:
// the plugin and what it loads (a YAML library among them) are about 1 MiB of every node's
// heap, for a document few nodes ever serve (docs/PERFORMANCE-LOG.md, fifteenth pass).
// The routes are recorded as the server registers them; on the first request they are
// registered again, handlers left out, on a Fastify instance of their own that carries the
// plugin, and the document it makes is kept as JSON text for every later request. What the
// routes' schemas do not say (each operation's refusals, the response headers) is added
// to it from the same routes (openapi-answers.ts).
import Fastify, { type RouteOptions } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { onFirstUse } from '../shared/on-first-use.ts';
import { contractCompilers, type ContractOptions } from './api-contract.ts';
import { describeAnswers } from './openapi-answers.ts';

/** The document's JSON for the routes registered so far, made on the first call. */
export function openApiDocument(routes: readonly RouteOptions[], options: Pick<ContractOptions, 'publicUrl' | 'cookieName'>) {
  return onFirstUse(async () => {
    const { default: fastifySwagger } = await import('@fastify/swagger');
    const describer = Fastify({ schemaController: { compilersFactory: contractCompilers(false) } });
    try {
      await describer.register(fastifySwagger, {
        openapi: {
          openapi: '3.1.0',
          info: {
            title: 'Gatehouse API',
            version: '1',
            description:
              'The JSON API of Gatehouse, the identity portal. Browser routes use the session cookie and must come ' +
              "from Gatehouse's own origin; /api/v1 is for API clients with a bearer token. Errors are " +
              '`{ "error": { "code", "message", "fields"? } }` (the `Error` schema); on /api/v1 they are RFC 9457 ' +
              'problem details (the `Problem` schema), each status an operation can answer listed with its codes and headers.',
          },
          servers: [{ url: options.publicUrl.origin }],
          components: {
            securitySchemes: {
              session: { type: 'apiKey', in: 'cookie', name: options.cookieName, description: 'The Gatehouse session cookie.' },
              bearer: {
                type: 'http',
                scheme: 'bearer',
                description: "An access token from Gatehouse's token endpoint (client credentials grant) for an API client.",
              },
            },
          },
        },
        transform: jsonSchemaTransform,
        transformObject: jsonSchemaTransformObject,
        // Only the JSON API is described: pages and the OpenID provider have their own standards.
        hideUntagged: true,
      });
      // Fastify adds each GET's HEAD itself; the plugin leaves HEAD routes out in any case.
      for (const route of routes) {
        if (route.method === 'HEAD' || !route.schema) continue;
        describer.route({ method: route.method, url: route.url, schema: route.schema, ...(route.config ? { config: route.config } : {}), handler: async () => undefined });
      }
      await describer.ready();
      const document = describer.swagger();
      describeAnswers(document, routes);
      return JSON.stringify(document);
    } finally {
      await describer.close();
    }
  });
}

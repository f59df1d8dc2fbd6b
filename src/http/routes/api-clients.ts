// Managing API clients from the consoles. A company's Masters see and change only their
// company's clients (the company comes from the session; another company's client id is
// "not found"); operators create platform clients or clients for a named company, and
// manage every one. The secret is in the answer to a create or a rotate, once, and only
// after the proof My Settings asks for new recovery codes (src/api-clients/proved.ts).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createApiClientWithProof, deleteApiClient, listApiClients, rotateApiClientSecretWithProof, type ChangedBy } from '../../api-clients/index.ts';
import {
  apiClientCreated,
  apiClientDeleted,
  apiClientList,
  apiClientParams,
  apiClientRotateBody,
  apiClientWithSecret,
  companyApiClientBody,
  operatorApiClientBody,
} from '../../contract/api-clients.ts';
import { idempotencyHeaders } from '../../contract/api-v1.ts';
import { forAudience, signedInOf } from '../audiences.ts';
import type { HttpContext } from '../context.ts';
import { requestMeta } from '../guards.ts';
import { idempotentCreates, type IdempotentCreate } from '../idempotent-creates.ts';
import { apiClientView as view } from '../../presenters/index.ts';
import type { AuthenticationResponseJSON } from '../../webauthn/index.ts';

type Proved = { password?: string | undefined; code?: string | undefined; key?: AuthenticationResponseJSON | undefined };

/** A create's or a rotate's body: the proof, and the rest (the client asked for). */
function splitProof<B extends Proved>({ password, code, key, ...asked }: B) {
  return { proof: { password, code, key }, asked };
}

const proofOf = (body: Proved) => splitProof(body).proof;

/**
 * A create, once per Idempotency-Key: the client asked for, without the proof (a retry comes
 * with a fresh code, the first one spent), is what makes a repeat the same. The repeat is
 * answered the client without its secret, which is never kept: rotate it for a new one.
 */
function createOnce(deps: HttpContext['deps'], idempotent: IdempotentCreate) {
  return (request: FastifyRequest<{ Body: Proved }>, reply: FastifyReply, input: Parameters<typeof createApiClientWithProof>[3]) => {
    const { proof, asked } = splitProof(request.body);
    return idempotent(request, reply, async () => {
      const { client, clientSecret } = await createApiClientWithProof(deps, signedInOf(request), proof, input, changedBy(request));
      return { status: 201, body: { client: view(client), clientSecret }, replayBody: { client: view(client), clientSecret: null } };
    }, asked);
  };
}

function changedBy(request: FastifyRequest): ChangedBy {
  const me = signedInOf(request);
  return { actorId: me.userId, actorUsername: me.username, meta: requestMeta(request) };
}

export function apiClientRoutes(app: FastifyInstance, ctx: HttpContext) {
  const { deps } = ctx;
  // Keys per signed-in user, as the console's other creates (a page retries a lost answer).
  const create = createOnce(deps, idempotentCreates(deps, (request) => ({ userId: signedInOf(request).userId })));
  const secretAnswer = { 200: apiClientWithSecret };
  const rotateSummary = 'A new secret (in this answer only); the old one and its tokens stop at once. Needs proof: password and code, or a key';

  forAudience(app, ctx, 'master', 'Company API clients', (api) => {
    const reach = (request: FastifyRequest) => ({ companyId: signedInOf(request).companyId });
    api.get('/api/company/api-clients', { schema: { summary: "The company's API clients", response: { 200: apiClientList } } }, async (request) => ({
      clients: (await listApiClients(deps.db, reach(request))).map(view),
    }));
    api.post(
      '/api/company/api-clients',
      {
        schema: {
          summary: 'Add an API client for the company; its secret is in this answer only. Needs proof: password and code, or a key. Takes an Idempotency-Key',
          headers: idempotencyHeaders,
          body: companyApiClientBody,
          response: { 201: apiClientCreated },
        },
      },
      async (request, reply) => {
        const { name, scopes, expiresInDays } = request.body;
        const input = { name, scopes, expiresInDays, companyId: signedInOf(request).companyId };
        await create(request, reply, input);
      },
    );
    api.post(
      '/api/company/api-clients/:clientId/rotate',
      { schema: { summary: rotateSummary, params: apiClientParams, body: apiClientRotateBody, response: secretAnswer } },
      async (request) => {
        const { client, clientSecret } = await rotateApiClientSecretWithProof(deps, signedInOf(request), proofOf(request.body), reach(request), request.params.clientId, changedBy(request));
        return { client: view(client), clientSecret };
      },
    );
    api.post(
      '/api/company/api-clients/:clientId/delete',
      { schema: { summary: 'Delete an API client; its tokens stop at once', params: apiClientParams, response: { 200: apiClientDeleted } } },
      async (request) => ({ client: view(await deleteApiClient(deps, reach(request), request.params.clientId, changedBy(request))) }),
    );
  });

  forAudience(app, ctx, 'operator', 'Operator API clients', (api) => {
    api.get('/api/operator/api-clients', { schema: { summary: "Every company's and the platform's API clients", response: { 200: apiClientList } } }, async () => ({
      clients: (await listApiClients(deps.db, 'every-company')).map(view),
    }));
    api.post(
      '/api/operator/api-clients',
      {
        schema: {
          summary: 'Add a platform API client (no companyId) or one for a company; its secret is in this answer only. Needs proof: password and code, or a key. Takes an Idempotency-Key',
          headers: idempotencyHeaders,
          body: operatorApiClientBody,
          response: { 201: apiClientCreated },
        },
      },
      async (request, reply) => {
        const { name, scopes, expiresInDays } = request.body;
        const input = { name, scopes, expiresInDays, companyId: request.body.companyId ?? null };
        await create(request, reply, input);
      },
    );
    api.post(
      '/api/operator/api-clients/:clientId/rotate',
      { schema: { summary: rotateSummary, params: apiClientParams, body: apiClientRotateBody, response: secretAnswer } },
      async (request) => {
        const { client, clientSecret } = await rotateApiClientSecretWithProof(deps, signedInOf(request), proofOf(request.body), 'every-company', request.params.clientId, changedBy(request));
        return { client: view(client), clientSecret };
      },
    );
    api.post(
      '/api/operator/api-clients/:clientId/delete',
      { schema: { summary: 'Delete an API client; its tokens stop at once', params: apiClientParams, response: { 200: apiClientDeleted } } },
      async (request) => ({ client: view(await deleteApiClient(deps, 'every-company', request.params.clientId, changedBy(request))) }),
    );
  });
}

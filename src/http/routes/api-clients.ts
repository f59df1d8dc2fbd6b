// Managing API clients from the consoles. A company's Masters see and change only their
// company's clients (the company comes from the session; another company's client id is
// "not found"); operators create platform clients or clients for a named company, and
// manage every one. The secret is in the answer to a create or a rotate, once, and only
// after the proof My Settings asks for new recovery codes (src/api-clients/proved.ts).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { createApiClientWithProof, deleteApiClient, listApiClients, rotateApiClientSecretWithProof, type ChangedBy } from '../../api-clients/index.ts';
import {
  apiClientDeleted,
  apiClientList,
  apiClientParams,
  apiClientRotateBody,
  apiClientWithSecret,
  companyApiClientBody,
  operatorApiClientBody,
} from '../../contract/api-clients.ts';
import { forAudience, signedInOf } from '../audiences.ts';
import type { HttpContext } from '../context.ts';
import { requestMeta } from '../guards.ts';
import { apiClientView as view } from '../../presenters/index.ts';
import type { AuthenticationResponseJSON } from '../../webauthn/index.ts';

/** The proof in a create's or a rotate's body (the rest of the body is the client). */
function proofOf(body: { password?: string | undefined; code?: string | undefined; key?: AuthenticationResponseJSON | undefined }) {
  return { password: body.password, code: body.code, key: body.key };
}

function changedBy(request: FastifyRequest): ChangedBy {
  const me = signedInOf(request);
  return { actorId: me.userId, actorUsername: me.username, meta: requestMeta(request) };
}

export function apiClientRoutes(app: FastifyInstance, ctx: HttpContext) {
  const { deps } = ctx;
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
          summary: 'Add an API client for the company; its secret is in this answer only. Needs proof: password and code, or a key',
          body: companyApiClientBody,
          response: { 201: apiClientWithSecret },
        },
      },
      async (request, reply) => {
        const { name, scopes, expiresInDays } = request.body;
        const input = { name, scopes, expiresInDays, companyId: signedInOf(request).companyId };
        const { client, clientSecret } = await createApiClientWithProof(deps, signedInOf(request), proofOf(request.body), input, changedBy(request));
        return reply.status(201).send({ client: view(client), clientSecret });
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
          summary: 'Add a platform API client (no companyId) or one for a company; its secret is in this answer only. Needs proof: password and code, or a key',
          body: operatorApiClientBody,
          response: { 201: apiClientWithSecret },
        },
      },
      async (request, reply) => {
        const { name, scopes, expiresInDays } = request.body;
        const input = { name, scopes, expiresInDays, companyId: request.body.companyId ?? null };
        const { client, clientSecret } = await createApiClientWithProof(deps, signedInOf(request), proofOf(request.body), input, changedBy(request));
        return reply.status(201).send({ client: view(client), clientSecret });
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

// /api/v1/requests: company account requests, for platform API clients only. The scopes
// requests:read and requests:write are platform-only (a company's client can never hold
// them), so a company's client is refused by the guard with 403 insufficient_scope; the
// check here holds the line even if that ever changed.
import { approveAccountRequest, enterAccountRequest, rejectAccountRequest } from '../../companies/index.ts';
import { apiRequestListQuery, apiRequestPage, idempotencyHeaders, requestParams } from '../../contract/api-v1.ts';
import { done } from '../../contract/common.ts';
import { approveBody, approved, rejectBody } from '../../contract/operator.ts';
import { accountRequestBody, accountRequestCreated } from '../../contract/sign-in.ts';
import type { FastifyRequest } from 'fastify';
import type { ApiActor } from '../../api-clients/index.ts';
import { apiActorOf, lacksScope } from '../api-client-guard.ts';
import { accountRequestPage } from '../directory-views.ts';
import { requestMeta } from '../guards.ts';
import type { V1 } from './api-v1.ts';

/** The platform client a platform route acts for; a company's is refused as lacking the route's scope. */
export function platformClient(request: FastifyRequest): ApiActor {
  const actor = apiActorOf(request);
  if (actor.companyId !== null) throw lacksScope(request.routeOptions.config.scope ?? 'none');
  return actor;
}

export function requestRoutes({ api, deps, idempotent }: V1) {
  api.get(
    '/requests',
    {
      config: { scope: 'requests:read' },
      schema: {
        summary: 'Company account requests (pending by default, oldest first; others newest first; pass nextCursor as cursor for the next page)',
        querystring: apiRequestListQuery,
        response: { 200: apiRequestPage },
      },
    },
    async (request) => {
      platformClient(request);
      return accountRequestPage(deps, request.query);
    },
  );

  api.post(
    '/requests',
    {
      config: { scope: 'requests:write', refusals: ['company.name_taken'] },
      schema: {
        summary: "Enter an account request on a company's behalf; takes an Idempotency-Key",
        headers: idempotencyHeaders,
        body: accountRequestBody,
        response: { 201: accountRequestCreated },
      },
    },
    async (request, reply) => {
      const actor = platformClient(request);
      return idempotent(request, reply, async () => {
        // In a transaction, as every change an API client makes: its client is checked in it (checkClientsInTransactions).
        const created = await enterAccountRequest(deps, request.body, { apiClientId: actor.apiClientId }, requestMeta(request));
        return { status: 201, body: { id: created.id, status: created.status } };
      });
    },
  );

  api.post(
    '/requests/:requestId/approve',
    {
      config: { scope: 'requests:write', refusals: ['request.not_pending', 'company.name_taken'] },
      schema: {
        summary: 'Approve: creates the company and its Root Master, and mails "Welcome to Gatehouse"',
        params: requestParams,
        body: approveBody,
        response: { 200: approved },
      },
    },
    async (request) => {
      const actor = platformClient(request);
      return approveAccountRequest(
        deps,
        request.params.requestId,
        { username: request.body.username, apiClientId: actor.apiClientId },
        requestMeta(request),
      );
    },
  );

  api.post(
    '/requests/:requestId/reject',
    {
      config: { scope: 'requests:write', refusals: ['request.not_pending'] },
      schema: { summary: 'Reject an account request, with a reason', params: requestParams, body: rejectBody, response: { 200: done } },
    },
    async (request) => {
      const actor = platformClient(request);
      await rejectAccountRequest(deps, request.params.requestId, { reason: request.body.reason, apiClientId: actor.apiClientId }, requestMeta(request));
      return {};
    },
  );
}

// The operator console's routes. Operators are users of the platform company.
import type { FastifyContextConfig, FastifyInstance } from 'fastify';
import { approveAccountRequest, enterAccountRequest, rejectAccountRequest, resendWelcome, setCompanySuspended } from '../../companies/index.ts';
import { idempotencyHeaders } from '../../contract/api-v1.ts';
import { done, idParams } from '../../contract/common.ts';
import {
  approveBody,
  approved,
  companyListQuery,
  companyPage,
  mailList,
  mailListQuery,
  mailMessage,
  operatorRequestListQuery,
  rejectBody,
  requestPage,
} from '../../contract/operator.ts';
import { accountRequestBody, accountRequestCreated } from '../../contract/sign-in.ts';
import { assertThat } from '../../errors.ts';
import { listMail, readMailboxMessage } from '../../mail/index.ts';
import { mailView } from '../../presenters/index.ts';
import { forAudience, signedInOf } from '../audiences.ts';
import type { HttpContext } from '../context.ts';
import { operatorCompanyPage, operatorRequestPage } from '../directory-views.ts';
import { requestMeta } from '../guards.ts';
import { idempotentCreates } from '../idempotent-creates.ts';
import { iso } from '../presenters.ts';

export function operatorRoutes(app: FastifyInstance, ctx: HttpContext) {
  const { deps } = ctx;
  const by = (request: Parameters<typeof signedInOf>[0]) => ({ operatorId: signedInOf(request).userId });
  const idempotent = idempotentCreates(deps, (request) => ({ userId: signedInOf(request).userId }));

  forAudience(app, ctx, 'operator', 'Operator console', (api) => {
    api.get(
      '/api/operator/requests',
      {
        schema: {
          summary: 'Account requests (pending by default, oldest first; others newest first), searched by company name or email; pass nextCursor as cursor for the next page',
          querystring: operatorRequestListQuery,
          response: { 200: requestPage },
        },
      },
      async (request) => operatorRequestPage(deps, request.query),
    );

    api.post(
      '/api/operator/requests',
      {
        schema: {
          summary: "Enter an account request on a company's behalf; takes an Idempotency-Key",
          headers: idempotencyHeaders,
          body: accountRequestBody,
          response: { 201: accountRequestCreated },
        },
      },
      async (request, reply) => {
        // In a transaction, as every operator's change: the operator is checked again in it
        // (checkSignedInTransactions, audiences.ts). A retry after a lost answer with its key
        // is answered the request it made, not "company name taken" by it.
        await idempotent(request, reply, async () => {
          const created = await enterAccountRequest(deps, request.body, by(request), requestMeta(request));
          return { status: 201, body: { id: created.id, status: created.status } };
        });
      },
    );

    api.post(
      '/api/operator/requests/:id/approve',
      {
        config: { sensitive: true },
        schema: {
          summary: 'Approve: creates the company and its Root Master, and mails "Welcome to Gatehouse"',
          params: idParams,
          body: approveBody,
          response: { 200: approved },
        },
      },
      async (request) =>
        approveAccountRequest(deps, request.params.id, { username: request.body.username, ...by(request) }, requestMeta(request)),
    );

    api.post(
      '/api/operator/requests/:id/reject',
      { schema: { summary: 'Reject an account request, with a reason', params: idParams, body: rejectBody, response: { 200: done } } },
      async (request) => {
        await rejectAccountRequest(deps, request.params.id, { reason: request.body.reason, ...by(request) }, requestMeta(request));
        return {};
      },
    );

    api.get(
      '/api/operator/companies',
      {
        schema: {
          summary: 'Every company, newest first, searched by name; pass nextCursor as cursor for the next page',
          querystring: companyListQuery,
          response: { 200: companyPage },
        },
      },
      async (request) => operatorCompanyPage(deps, request.query),
    );

    const companyActions = [
      ['suspend', 'Suspend a company (its users cannot log in; sessions end)', (id: string, request: Parameters<typeof by>[0]) =>
        setCompanySuspended(deps, id, true, by(request), requestMeta(request))],
      ['reactivate', 'Reactivate a suspended company', (id: string, request: Parameters<typeof by>[0]) =>
        setCompanySuspended(deps, id, false, by(request), requestMeta(request))],
      ['resend-welcome', 'Send the Root Master a new Welcome to Gatehouse email', (id: string, request: Parameters<typeof by>[0]) =>
        resendWelcome(deps, id, by(request), requestMeta(request))],
    ] as const;
    for (const [name, summary, act] of companyActions) {
      // Reactivating lets a suspended company's users in again; the others take away or resend.
      const config: FastifyContextConfig = name === 'reactivate' ? { sensitive: true } : {};
      api.post(`/api/operator/companies/:id/${name}`, { config, schema: { summary, params: idParams, response: { 200: done } } }, async (request) => {
        await act(request.params.id, request);
        return {};
      });
    }

    api.get(
      '/api/operator/mail',
      {
        schema: {
          summary: 'Outgoing mail and its delivery (attempts, last error), the 200 newest; ?status=failed (or pending, sent) for those of one status only',
          querystring: mailListQuery,
          response: { 200: mailList },
        },
      },
      async (request) => {
        const rows = await listMail(deps.db, 200, request.query.status);
        return { messages: rows.map(mailView) };
      },
    );

    api.get(
      '/api/operator/mail/:id',
      { schema: { summary: 'One message in the Mailbox, as the recipient sees it', params: idParams, response: { 200: mailMessage } } },
      async (request) => {
        const message = await readMailboxMessage(deps.db, request.params.id);
        assertThat(message, 'request.not_found');
        return {
          id: message.outbox_id,
          to: message.recipient,
          from: message.sender,
          subject: message.subject,
          text: message.text_body,
          html: message.html_body,
          createdAt: iso(message.created_at),
        };
      },
    );
  });
}

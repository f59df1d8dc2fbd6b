// The operator console's routes. Operators are users of the platform company.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  approveAccountRequest,
  listAccountRequests,
  listCompanies,
  rejectAccountRequest,
  resendWelcome,
  setCompanySuspended,
  submitAccountRequest,
} from '../../companies/index.ts';
import { assertThat } from '../../errors.ts';
import { companyNameWarning } from '../../shared/text.ts';
import { listMail, readMailboxMessage } from '../../mail/index.ts';
import { invitationVolume } from '../../users/index.ts';
import type { SignedIn } from '../../sessions/index.ts';
import type { HttpContext } from '../context.ts';
import { requestMeta, requireOperator } from '../guards.ts';
import { parseInput, text, username } from '../validate.ts';
import { accountRequestSchema } from './public.ts';

const idParam = z.object({ id: z.uuid({ error: 'Not found.' }) });
const listQuery = z.object({ status: z.enum(['pending', 'approved', 'rejected', 'all']).default('pending') });
const approveSchema = z.object({
  // Empty: the default from the contact's address.
  username: z.union([z.string().trim().max(0), username]).optional(),
});
const rejectSchema = z.object({ reason: text('Reason', 1000) });

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function operatorRoutes(app: FastifyInstance, { deps, cookies }: HttpContext) {
  // Registered in its own encapsulated scope: this guard covers exactly these routes.
  const operators = new WeakMap<object, SignedIn>();
  app.addHook('onRequest', async (request, reply) => {
    operators.set(request, await requireOperator(deps, cookies, request, reply));
  });
  const operatorOf = (request: object) => {
    const operator = operators.get(request);
    assertThat(operator, 'auth.forbidden');
    return operator;
  };

  app.get('/api/operator/requests', async (request) => {
    const { status } = parseInput(listQuery, request.query);
    const rows = await listAccountRequests(deps.db, status, deps.clock());
    return {
      requests: rows.map((r) => ({
        id: r.id,
        companyName: r.company_name,
        contactName: r.contact_name,
        email: r.email,
        phone: r.phone,
        note: r.note,
        status: r.status,
        source: r.source,
        createdAt: iso(r.created_at),
        ageHours: Math.floor(r.ageMs / 3_600_000),
        urgency: r.urgency,
        // Mixed scripts in one word ("Асme" with a Cyrillic A): shown to the operator before approving.
        nameWarning: companyNameWarning(r.company_name),
        rejectReason: r.reject_reason,
        companyId: r.company_id,
      })),
    };
  });

  app.post('/api/operator/requests', async (request, reply) => {
    const input = parseInput(accountRequestSchema, request.body);
    const created = await submitAccountRequest(deps.db, input, 'operator', deps.clock());
    return reply.status(201).send({ id: created.id, status: created.status });
  });

  app.post('/api/operator/requests/:id/approve', async (request) => {
    const { id } = parseInput(idParam, request.params);
    const { username } = parseInput(approveSchema, request.body);
    return approveAccountRequest(deps, id, { username, operatorId: operatorOf(request).userId }, requestMeta(request));
  });

  app.post('/api/operator/requests/:id/reject', async (request) => {
    const { id } = parseInput(idParam, request.params);
    const { reason } = parseInput(rejectSchema, request.body);
    await rejectAccountRequest(deps, id, { reason, operatorId: operatorOf(request).userId }, requestMeta(request));
    return {};
  });

  app.get('/api/operator/companies', async () => {
    const rows = await listCompanies(deps.db);
    // Invitation emails are rate limited per company; the operator sees who sends how many.
    const volume = await invitationVolume(deps.db, deps.clock());
    return {
      companies: rows.map((c) => ({
        id: c.id,
        name: c.name,
        status: c.status,
        createdAt: iso(c.createdAt),
        rootMaster: c.username ? { username: c.username, email: c.email, signedUp: c.signedUp, enrolled: c.enrolled } : null,
        invitations: volume.get(c.id) ?? { last24h: 0, last7d: 0 },
      })),
    };
  });

  app.post('/api/operator/companies/:id/suspend', async (request) => {
    const { id } = parseInput(idParam, request.params);
    await setCompanySuspended(deps, id, true, { operatorId: operatorOf(request).userId }, requestMeta(request));
    return {};
  });

  app.post('/api/operator/companies/:id/reactivate', async (request) => {
    const { id } = parseInput(idParam, request.params);
    await setCompanySuspended(deps, id, false, { operatorId: operatorOf(request).userId }, requestMeta(request));
    return {};
  });

  app.post('/api/operator/companies/:id/resend-welcome', async (request) => {
    const { id } = parseInput(idParam, request.params);
    await resendWelcome(deps, id, { operatorId: operatorOf(request).userId }, requestMeta(request));
    return {};
  });

  app.get('/api/operator/mail', async () => {
    const rows = await listMail(deps.db);
    return {
      messages: rows.map((m) => ({
        id: m.id,
        to: m.recipient,
        subject: m.subject,
        status: m.status,
        attempts: m.attempts,
        lastError: m.lastError,
        createdAt: iso(m.createdAt),
        sentAt: iso(m.sentAt),
        inMailbox: m.mailboxId !== null,
      })),
    };
  });

  app.get('/api/operator/mail/:id', async (request) => {
    const { id } = parseInput(idParam, request.params);
    const message = await readMailboxMessage(deps.db, id);
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
  });
}

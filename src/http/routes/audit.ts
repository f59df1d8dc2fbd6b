// The audit trail and the MFA compliance view: Masters read their own company's (the
// company comes from the session, whatever the request says), operators read every
// company's. Read-only by design: the trail is append-only, so there is no route that
// changes or deletes an event.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { auditCsv, csvRow } from '../../audit/index.ts';
import { complianceSummary } from '../../companies/index.ts';
import {
  auditPage,
  companyAuditQuery,
  companyComplianceView,
  complianceOverview,
  complianceQuery,
  csvDownload,
  masterAuditCsvQuery,
  masterComplianceCsvQuery,
  operatorAuditCsvQuery,
  operatorAuditQuery,
  operatorComplianceCsvQuery,
} from '../../contract/company.ts';
import { forAudience, signedInOf } from '../audiences.ts';
import { auditPageOf, auditQuery, complianceView, sendCsv, SUMMARY_COLUMNS, userLines } from '../audit-views.ts';
import type { HttpContext } from '../context.ts';
import { downloadSlotsOf } from '../csv-download-slots.ts';

export function auditRoutes(app: FastifyInstance, ctx: HttpContext) {
  const { deps } = ctx;
  const page = (input: Parameters<typeof auditPageOf>[1], companyId: string | undefined) => auditPageOf(deps, input, companyId);
  const complianceOf = (companyId: string) => complianceView(deps, companyId);
  // Every CSV download holds one of its person's few slots until its response closes
  // (csv-download-slots.ts), taken before the first query.
  const downloads = downloadSlotsOf(deps);
  const holdDownload = (request: FastifyRequest, reply: FastifyReply) => {
    const { userId, companyId } = signedInOf(request);
    downloads.hold(reply, { userId, companyId });
  };

  forAudience(app, ctx, 'master', 'Audit and compliance', (api) => {
    api.get(
      '/api/company/audit',
      { schema: { summary: "The company's audit trail, newest first", querystring: companyAuditQuery, response: { 200: auditPage } } },
      async (request) => page(request.query, signedInOf(request).companyId),
    );

    api.get(
      '/api/company/audit.csv',
      { schema: { summary: "The company's audit trail as CSV", querystring: masterAuditCsvQuery, response: { 200: csvDownload } } },
      async (request, reply) => {
        holdDownload(request, reply);
        return sendCsv(reply, 'audit', deps.clock(), await auditCsv(deps.db, auditQuery(request.query, signedInOf(request).companyId)));
      },
    );

    api.get(
      '/api/company/compliance',
      { schema: { summary: 'Who has set up 2FA in the company', response: { 200: companyComplianceView } } },
      async (request) => complianceOf(signedInOf(request).companyId),
    );

    api.get(
      '/api/company/compliance.csv',
      { schema: { summary: 'MFA compliance as CSV', querystring: masterComplianceCsvQuery, response: { 200: csvDownload } } },
      async (request, reply) => {
        holdDownload(request, reply);
        const view = await complianceOf(signedInOf(request).companyId);
        return sendCsv(reply, 'compliance', deps.clock(), userLines(view.company.name, view));
      },
    );
  });

  forAudience(app, ctx, 'operator', 'Audit and compliance', (api) => {
    api.get(
      '/api/operator/audit',
      { schema: { summary: "Every company's audit trail (or one company's), newest first", querystring: operatorAuditQuery, response: { 200: auditPage } } },
      async (request) => page(request.query, request.query.companyId),
    );

    api.get(
      '/api/operator/audit.csv',
      { schema: { summary: 'The audit trail as CSV', querystring: operatorAuditCsvQuery, response: { 200: csvDownload } } },
      async (request, reply) => {
        holdDownload(request, reply);
        return sendCsv(reply, 'audit', deps.clock(), await auditCsv(deps.db, auditQuery(request.query, request.query.companyId)));
      },
    );

    api.get(
      '/api/operator/compliance',
      {
        schema: {
          summary: "Every company's MFA totals, or one company's users with companyId",
          querystring: complianceQuery,
          response: { 200: z.union([complianceOverview, companyComplianceView]) },
        },
      },
      async (request) => {
        const { companyId } = request.query;
        return companyId === undefined ? { companies: await complianceSummary(deps.db) } : complianceOf(companyId);
      },
    );

    api.get(
      '/api/operator/compliance.csv',
      { schema: { summary: 'MFA compliance as CSV (every company, or one with companyId)', querystring: operatorComplianceCsvQuery, response: { 200: csvDownload } } },
      async (request, reply) => {
        holdDownload(request, reply);
        const { companyId } = request.query;
        if (companyId !== undefined) {
          const view = await complianceOf(companyId);
          return sendCsv(reply, 'compliance', deps.clock(), userLines(view.company.name, view));
        }
        const summary = await complianceSummary(deps.db);
        const lines = summary.map((c) => {
          const t = c.totals;
          return csvRow([c.companyId, c.companyName, c.status, t.users, t.enrolled, t.pending, t.disabled, t.percentEnrolled]);
        });
        return sendCsv(reply, 'compliance', deps.clock(), [csvRow(SUMMARY_COLUMNS), ...lines]);
      },
    );
  });
}

// The audit trail and the MFA compliance view (docs/API.md "Audit and compliance"): the
// company's own for Masters, every company's for operators.
import { downloadUrl, get } from '../api';

// The answers' types come from the server's own schemas (src/contract/types.ts).
export type { AuditEvent, AuditPage, CompanyCompliance, CompanyComplianceSummary, ComplianceTotals, ComplianceUser } from '@contract';
import type { AuditPage, CompanyCompliance, CompanyComplianceSummary } from '@contract';

/** Filters as typed; empty strings mean "no filter" and are left out of the query. */
export interface AuditFilters {
  action: string;
  from: string;
  to: string;
  /** Operators only. */
  companyId?: string;
}

/** `?action=…&from=…` with only the filled-in filters (and the cursor for the next page). */
export function auditQuery(filters: AuditFilters, cursor?: string | null): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(filters)) {
    if (typeof value === 'string' && value.trim()) params.set(key, value.trim());
  }
  if (cursor) params.set('cursor', cursor);
  const query = params.toString();
  return query ? `?${query}` : '';
}

/** Where a Master or operator reads the trail: the company's own, or every company's. */
export type AuditScope = 'company' | 'operator';

export const auditApi = {
  page: (scope: AuditScope, filters: AuditFilters, cursor?: string | null) =>
    get<AuditPage>(`/${scope}/audit${auditQuery(filters, cursor)}`),
  /** A plain link, not a fetch: the browser downloads the file the server names (ExportCsvButton). */
  csvUrl: (scope: AuditScope, filters: AuditFilters) => downloadUrl(`/${scope}/audit.csv`, { ...filters }),

  companyCompliance: () => get<CompanyCompliance>('/company/compliance'),
  operatorCompliance: (companyId: string) =>
    get<CompanyCompliance>(`/operator/compliance?companyId=${encodeURIComponent(companyId)}`),
  operatorComplianceSummary: () => get<{ companies: CompanyComplianceSummary[] }>('/operator/compliance'),
  complianceCsvUrl: (scope: AuditScope, companyId?: string) => downloadUrl(`/${scope}/compliance.csv`, { companyId }),
};

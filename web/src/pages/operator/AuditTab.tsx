import { useCallback } from 'react';
import { api } from '../../api';
import { useLoad } from '../../hooks/useLoad';
import { AuditLog } from '../audit/AuditLog';

/** Every company's audit trail (and the platform's own events), filterable by company. */
export function AuditTab() {
  const load = useCallback(() => api.operator.companies(), []);
  // The filter works without the list too (all companies); it only adds the choice.
  const { data } = useLoad(load);
  const companies = (data?.companies ?? []).map((c) => ({ id: c.id, name: c.name }));
  return <AuditLog scope="operator" companies={companies} />;
}

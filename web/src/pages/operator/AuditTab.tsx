import { api } from '../../api';
import { keys, useApiQuery } from '../../data';
import { AuditLog } from '../audit/AuditLog';

/** Every company's audit trail (and the platform's own events), filterable by company. */
export function AuditTab() {
  // The filter works without the list too (all companies); it only adds the choice.
  const { data } = useApiQuery(keys.operator.companies, api.operator.companies);
  const companies = (data?.companies ?? []).map((c) => ({ id: c.id, name: c.name }));
  return <AuditLog scope="operator" companies={companies} />;
}

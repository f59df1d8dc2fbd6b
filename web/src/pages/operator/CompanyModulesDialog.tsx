import { Anchor, Modal, Stack, Switch, Text } from '@mantine/core';
import { useEffect, useState } from 'react';
import { Link } from 'react-router';
import { possessive } from '../../format';
import { api, type CompanySummary, type GrantedModule, type RegisteredModule } from '../../api';
import { ErrorAlert } from '../../components/ErrorAlert';
import { LoadingState } from '../../components/LoadingState';
import { keys, useApiQuery, useInvalidate } from '../../data';
import { useAction } from '../../hooks/useAction';

const grantNote = (granted: GrantedModule | undefined) => {
  if (!granted) return 'Not granted.';
  return granted.enabled ? "Granted; on for the company's users." : "Granted; switched off by the company's Masters.";
};

/** Which modules a company may use: every registered module, with a switch to grant or revoke it. */
export function CompanyModulesDialog({ company, onClose }: { company: CompanySummary | null; onClose: () => void }) {
  const companyId = company?.id ?? '';
  const all = useApiQuery(keys.operator.modules, api.operator.modules, { enabled: company !== null });
  const grants = useApiQuery(keys.operator.companyModules(companyId), () => api.operator.companyModules(companyId), {
    enabled: company !== null,
  });
  const invalidate = useInvalidate();
  const [pending, setPending] = useState<{ id: string; granted: boolean } | null>(null);
  const change = useAction();
  const { setError } = change;
  const loadError = all.error ?? grants.error;
  const loaded =
    all.data && grants.data ? { modules: all.data.modules, granted: new Map(grants.data.modules.map((m) => [m.id, m])) } : null;

  // Each opening starts without the last company's error.
  useEffect(() => setError(null), [company, setError]);

  const onToggle = async (module: RegisteredModule, grant: boolean) => {
    if (!company) return;
    setPending({ id: module.id, granted: grant });
    const result = await change.run(async () => {
      await (grant ? api.operator.grantModule(company.id, module.id) : api.operator.revokeModule(company.id, module.id));
      // Re-read rather than assume: a grant starts switched on, the Masters may change it.
      await invalidate(keys.operator.companyModules(company.id));
      return true;
    });
    if (!result) await invalidate(keys.operator.companyModules(company.id));
    setPending(null);
  };

  return (
    <Modal opened={company !== null} onClose={onClose} title={company ? `Modules for ${company.name}` : 'Modules'} size="lg" centered>
      {company && (
        <Stack gap="md">
          <Text size="sm">
            Granted modules appear for {possessive(company.name)} Masters, who choose which of them their users get. Revoking one
            stops everyone in the company from logging in to it.
          </Text>
          <ErrorAlert message={loadError?.message ?? change.error?.message} />
          {!loaded && !loadError && <LoadingState label="Loading modules…" />}
          {loaded && loaded.modules.length === 0 && (
            <Text size="sm" c="dimmed">
              No modules are registered yet. Register one on the{' '}
              <Anchor component={Link} to="/operator?tab=modules" onClick={onClose} size="sm">Modules tab</Anchor>.
            </Text>
          )}
          {loaded?.modules.map((module) => {
            const granted = loaded.granted.get(module.id);
            return (
              <Switch
                key={module.id}
                label={`Grant ${module.name} to ${company.name}`}
                description={grantNote(granted)}
                checked={pending?.id === module.id ? pending.granted : granted !== undefined}
                disabled={pending !== null}
                onChange={(event) => void onToggle(module, event.currentTarget.checked)}
              />
            );
          })}
        </Stack>
      )}
    </Modal>
  );
}

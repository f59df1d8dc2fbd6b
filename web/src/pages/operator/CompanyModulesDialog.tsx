import { Anchor, Modal, Stack, Switch, Text } from '@mantine/core';
import { useCallback, useEffect, useState } from 'react';
import { Link } from 'react-router';
import { possessive } from '../../format';
import { api, ApiError, type CompanySummary, type GrantedModule, type RegisteredModule } from '../../api';
import { ErrorAlert } from '../../components/ErrorAlert';
import { LoadingState } from '../../components/LoadingState';
import { useAction } from '../../hooks/useAction';

interface Loaded {
  modules: RegisteredModule[];
  granted: Map<string, GrantedModule>;
}

const grantNote = (granted: GrantedModule | undefined) => {
  if (!granted) return 'Not granted.';
  return granted.enabled ? "Granted; on for the company's users." : "Granted; switched off by the company's Masters.";
};

/** Which modules a company may use: every registered module, with a switch to grant or revoke it. */
export function CompanyModulesDialog({ company, onClose }: { company: CompanySummary | null; onClose: () => void }) {
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [pending, setPending] = useState<{ id: string; granted: boolean } | null>(null);
  const change = useAction();
  const { setError } = change;

  const load = useCallback(async (companyId: string) => {
    const [all, granted] = await Promise.all([api.operator.modules(), api.operator.companyModules(companyId)]);
    return { modules: all.modules, granted: new Map(granted.modules.map((m) => [m.id, m])) };
  }, []);

  useEffect(() => {
    if (!company) return;
    let current = true;
    setLoaded(null);
    setLoadError(null);
    setError(null);
    load(company.id).then(
      (result) => current && setLoaded(result),
      (caught: unknown) => current && setLoadError(caught instanceof ApiError ? caught.message : 'Something went wrong.'),
    );
    return () => {
      current = false;
    };
  }, [company, load, setError]);

  const onToggle = async (module: RegisteredModule, grant: boolean) => {
    if (!company) return;
    setPending({ id: module.id, granted: grant });
    const result = await change.run(async () => {
      await (grant ? api.operator.grantModule(company.id, module.id) : api.operator.revokeModule(company.id, module.id));
      // Re-read rather than assume: a grant starts switched on, the Masters may change it.
      return load(company.id);
    });
    if (result) setLoaded(result);
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
          <ErrorAlert message={loadError ?? change.error?.message} />
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

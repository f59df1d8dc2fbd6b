import { Card, Stack, Switch, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { api, type CompanyModule } from '../../api';
import { ErrorAlert } from '../../components/ErrorAlert';
import { LoadingState } from '../../components/LoadingState';
import { possessive } from '../../format';
import { useAction } from '../../hooks/useAction';
import { keys, useApiQuery, useInvalidate } from '../../data';

interface CompanyModulesCardProps {
  companyName: string;
  /** Operators add modules themselves (Operator Console); others ask their account manager. */
  isOperator: boolean;
}

/** For a company's Masters: which of the modules granted to the company its users get. */
export function CompanyModulesCard({ companyName, isOperator }: CompanyModulesCardProps) {
  const { data, error } = useApiQuery(keys.company.modules, api.company.modules);
  const invalidate = useInvalidate();
  const toggle = useAction();
  // The switch shows the asked-for state until the server has answered and the list is
  // reloaded; on an error it falls back to what the server has.
  const [pending, setPending] = useState<{ id: string; enabled: boolean } | null>(null);

  const onToggle = async (module: CompanyModule, enabled: boolean) => {
    setPending({ id: module.id, enabled });
    const result = await toggle.run(() => api.company.setModuleEnabled(module.id, enabled));
    // The launcher above shows only switched-on modules, so it changes too.
    if (result) await invalidate(keys.company.modules, keys.launcher);
    setPending(null);
  };

  const modules = data?.modules ?? [];

  return (
    <Card withBorder radius="md" padding="lg" component="section" aria-labelledby="company-modules-heading">
      <Title order={2} size="h4" id="company-modules-heading">
        Company modules
      </Title>
      <Text size="sm" c="dimmed" mt={4} mb="md">
        Modules added to {possessive(companyName)} account. Switch one on to put it on your users' home page and let them log in
        to it (only the members of its groups, once a group has it: Company, Groups); switch it off to stop them.
      </Text>
      <Stack gap="md">
        <ErrorAlert message={error?.message ?? toggle.error?.message} />
        {!error && data === null && <LoadingState label="Loading company modules…" />}
        {data !== null && modules.length === 0 && (
          <Text size="sm" c="dimmed">
            {isOperator
              ? 'No modules have been added to your account yet. Register modules and grant them to companies in the Operator Console.'
              : 'No modules have been added to your company’s account yet. Your account manager can add them.'}
          </Text>
        )}
        {modules.map((module) => (
          <Switch
            key={module.id}
            label={`Enable ${module.name} for your users`}
            description={module.description || undefined}
            checked={pending?.id === module.id ? pending.enabled : module.enabled}
            disabled={pending !== null}
            onChange={(event) => void onToggle(module, event.currentTarget.checked)}
          />
        ))}
      </Stack>
    </Card>
  );
}

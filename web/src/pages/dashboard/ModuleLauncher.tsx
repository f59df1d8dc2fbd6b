import { Card, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import type { ApiError, LauncherModule } from '../../api';
import { LoadError } from '../../components/LoadError';
import { LoadingState } from '../../components/LoadingState';
import { ModuleTile } from './ModuleTile';

interface ModuleLauncherProps {
  modules: LauncherModule[] | null;
  error: ApiError | null;
  onRetry: () => void;
}

/** The app launcher: one tile per module the user's company has switched on. */
export function ModuleLauncher({ modules, error, onRetry }: ModuleLauncherProps) {
  return (
    <Stack gap="sm" component="section" aria-labelledby="modules-heading">
      <Title order={2} size="h3" id="modules-heading">
        Modules
      </Title>
      {error && <LoadError error={error} onRetry={onRetry} />}
      {!error && modules === null && <LoadingState label="Loading modules…" />}
      {!error && modules !== null && modules.length === 0 && (
        <Card withBorder radius="md" padding="xl" style={{ borderStyle: 'dashed' }} bg="transparent">
          <Text ta="center" c="dimmed">
            No modules yet. Modules your company enables will appear here.
          </Text>
        </Card>
      )}
      {!error && modules !== null && modules.length > 0 && (
        <SimpleGrid cols={{ base: 1, sm: 2, md: 3 }} spacing="md">
          {modules.map((module) => (
            <ModuleTile key={module.id} module={module} />
          ))}
        </SimpleGrid>
      )}
    </Stack>
  );
}

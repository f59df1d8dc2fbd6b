import { Alert, Button, Card, Group, Stack, Text, UnstyledButton, VisuallyHidden } from '@mantine/core';
import { useId, useState } from 'react';
import type { LauncherModule } from '../../api';
import { ModuleAvatar } from '../../components/ModuleAvatar';
import classes from './ModuleTile.module.css';
import { openInNewWindow, openInThisTab } from './openModule';

function NewWindowIcon() {
  return (
    <svg className={classes.arrow} width="18" height="18" viewBox="0 0 24 24" fill="none" stroke="currentColor"
      strokeWidth="2" strokeLinecap="round" strokeLinejoin="round" aria-hidden="true" focusable="false">
      <path d="M14 4h6v6" />
      <path d="M20 4l-9 9" />
      <path d="M18 14v5a1 1 0 0 1-1 1H5a1 1 0 0 1-1-1V7a1 1 0 0 1 1-1h5" />
    </svg>
  );
}

/** One launcher tile: opens the module in a new window, or says so when that was blocked. */
export function ModuleTile({ module }: { module: LauncherModule }) {
  const [blocked, setBlocked] = useState(false);
  const descriptionId = useId();
  const hintId = useId();

  return (
    <Card withBorder radius="md" padding={0} h="100%">
      <UnstyledButton
        className={classes.open}
        onClick={() => setBlocked(!openInNewWindow(module.launchUrl))}
        aria-label={`Open ${module.name}`}
        aria-describedby={module.description ? `${descriptionId} ${hintId}` : hintId}
      >
        <Group wrap="nowrap" align="flex-start" gap="md">
          <ModuleAvatar name={module.name} logoUrl={module.logoUrl} />
          <Stack gap={2} style={{ flex: 1, minWidth: 0 }}>
            <Text fw={600} style={{ overflowWrap: 'anywhere' }}>
              {module.name}
            </Text>
            {module.description && (
              <Text id={descriptionId} size="sm" c="dimmed" lineClamp={2}>
                {module.description}
              </Text>
            )}
            <VisuallyHidden id={hintId}>Opens in a new window.</VisuallyHidden>
          </Stack>
          <NewWindowIcon />
        </Group>
      </UnstyledButton>
      {blocked && (
        <Alert
          color="yellow"
          variant="light"
          mx="md"
          mb="md"
          withCloseButton
          closeButtonLabel="Dismiss"
          onClose={() => setBlocked(false)}
        >
          <Text size="sm" fw={600}>
            Your browser blocked the pop-up for {module.name}.
          </Text>
          <Text size="sm" mt={4}>
            To open modules in their own window, allow pop-ups for this site in your browser's settings.
          </Text>
          <Button size="compact-sm" variant="default" mt="sm" onClick={() => openInThisTab(module.launchUrl)}>
            Open in this tab
          </Button>
        </Alert>
      )}
    </Card>
  );
}

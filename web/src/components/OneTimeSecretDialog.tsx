import { Alert, Button, Group, Modal, Stack, Text } from '@mantine/core';
import type { ReactNode } from 'react';

/**
 * The one moment a client secret (a module's or an API client's) is visible: the server
 * keeps only a keyed hash of it. A click outside does not close this dialog, so the
 * secret is not lost by accident. `children` are the values to copy.
 */
export function OneTimeSecretDialog({
  opened,
  title,
  intro,
  hasSecret,
  secretLost = false,
  onClose,
  children,
}: {
  opened: boolean;
  title: string;
  intro: ReactNode;
  /** False for a public module, which has no secret to warn about. */
  hasSecret: boolean;
  /**
   * Made, but the answer that held its secret never reached this page (the page sent it
   * again and was told what the first request made): the secret is gone, a rotate makes one.
   */
  secretLost?: boolean;
  onClose: () => void;
  children: ReactNode;
}) {
  return (
    <Modal opened={opened} onClose={onClose} title={title} size="lg" centered closeOnClickOutside={false}>
      {opened && (
        <Stack gap="md">
          <Text size="sm">{intro}</Text>
          {secretLost && (
            <Alert color="yellow" variant="light">
              <Text size="sm" fw={600}>
                Rotate the secret before using it.
              </Text>
              <Text size="sm" mt={4}>
                Its secret was in an answer that never reached this page, and Gatehouse keeps no copy of a secret. Rotate
                the secret to get one.
              </Text>
            </Alert>
          )}
          {hasSecret && (
            <Alert color="yellow" variant="light">
              {/* Plain text colour: the alert's own yellow title would be too faint to read. */}
              <Text size="sm" fw={600}>
                Copy the client secret now.
              </Text>
              <Text size="sm" mt={4}>
                This is the only time Gatehouse shows it; only a hash of it is stored. If it is lost, rotate the secret
                to get a new one.
              </Text>
            </Alert>
          )}
          {children}
          <Group justify="flex-end">
            <Button onClick={onClose}>Done</Button>
          </Group>
        </Stack>
      )}
    </Modal>
  );
}

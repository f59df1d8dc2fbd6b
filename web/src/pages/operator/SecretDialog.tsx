import { Alert, Button, Group, Modal, Stack, Text } from '@mantine/core';
import { CopyField } from '../../components/CopyField';

export interface ModuleCredentials {
  /** "registered": a new module; "rotated": a new secret for an existing one. */
  kind: 'registered' | 'rotated';
  moduleName: string;
  clientId: string;
  clientSecret: string | null;
}

/**
 * The one moment a client secret is visible: the server keeps only a hash of it. A click
 * outside does not close this dialog, so the secret is not lost by accident.
 */
export function SecretDialog({ credentials, onClose }: { credentials: ModuleCredentials | null; onClose: () => void }) {
  const issuer = `${window.location.origin}/oidc`;
  const rotated = credentials?.kind === 'rotated';

  return (
    <Modal
      opened={credentials !== null}
      onClose={onClose}
      title={rotated ? 'New client secret' : 'Module registered'}
      size="lg"
      centered
      closeOnClickOutside={false}
    >
      {credentials && (
        <Stack gap="md">
          <Text size="sm">
            {rotated ? (
              <>
                <strong>{credentials.moduleName}</strong> has a new client secret. The previous one has stopped working:
                update the module's configuration now.
              </>
            ) : (
              <>
                <strong>{credentials.moduleName}</strong> is registered. Configure the module with these values, then grant
                it to companies on the Companies tab.
              </>
            )}
          </Text>
          {credentials.clientSecret && (
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
          {!rotated && <CopyField label="Issuer" value={issuer} />}
          <CopyField label="Client ID" value={credentials.clientId} />
          {credentials.clientSecret ? (
            <CopyField label="Client Secret" value={credentials.clientSecret} />
          ) : (
            <Text size="sm" c="dimmed">
              A public module has no client secret: it signs users in with PKCE alone.
            </Text>
          )}
          {!rotated && (
            <Text size="xs" c="dimmed">
              The module finds everything else at {issuer}/.well-known/openid-configuration.
            </Text>
          )}
          <Group justify="flex-end">
            <Button onClick={onClose}>Done</Button>
          </Group>
        </Stack>
      )}
    </Modal>
  );
}

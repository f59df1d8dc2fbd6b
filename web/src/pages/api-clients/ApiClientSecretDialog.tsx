import { Alert, Button, Group, Modal, Stack, Text } from '@mantine/core';
import type { ApiClientWithSecret } from '../../api/apiClients';
import { CopyField } from '../../components/CopyField';

export interface ShownSecret extends ApiClientWithSecret {
  /** "created": a new client; "rotated": a new secret for an existing one. */
  kind: 'created' | 'rotated';
}

/**
 * The one moment an API client's secret is visible: the server keeps only a keyed hash.
 * A click outside does not close this dialog, so the secret is not lost by accident.
 */
export function ApiClientSecretDialog({ shown, onClose }: { shown: ShownSecret | null; onClose: () => void }) {
  const tokenUrl = `${window.location.origin}/oidc/token`;
  const rotated = shown?.kind === 'rotated';
  return (
    <Modal
      opened={shown !== null}
      onClose={onClose}
      title={rotated ? 'New client secret' : 'API client created'}
      size="lg"
      centered
      closeOnClickOutside={false}
    >
      {shown && (
        <Stack gap="md">
          <Text size="sm">
            {rotated ? (
              <>
                <strong>{shown.client.name}</strong> has a new client secret. The previous one and its tokens have stopped
                working: update the tool that uses it now.
              </>
            ) : (
              <>
                <strong>{shown.client.name}</strong> is ready. The tool exchanges these for a short access token (OAuth 2.0
                client credentials) at the token endpoint.
              </>
            )}
          </Text>
          <Alert color="yellow" variant="light">
            {/* Plain text colour: the alert's own yellow title would be too faint to read. */}
            <Text size="sm" fw={600}>
              Copy the client secret now.
            </Text>
            <Text size="sm" mt={4}>
              This is the only time Gatehouse shows it; only a hash of it is stored. If it is lost, rotate the secret to
              get a new one.
            </Text>
          </Alert>
          <CopyField label="Client ID" value={shown.client.clientId} />
          <CopyField label="Client Secret" value={shown.clientSecret} />
          {!rotated && <CopyField label="Token endpoint" value={tokenUrl} />}
          <Group justify="flex-end">
            <Button onClick={onClose}>Done</Button>
          </Group>
        </Stack>
      )}
    </Modal>
  );
}

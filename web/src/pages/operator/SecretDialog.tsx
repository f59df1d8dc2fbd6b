import { Text } from '@mantine/core';
import { CopyField } from '../../components/CopyField';
import { OneTimeSecretDialog } from '../../components/OneTimeSecretDialog';

export interface ModuleCredentials {
  /** "registered": a new module; "rotated": a new secret for an existing one. */
  kind: 'registered' | 'rotated';
  moduleName: string;
  clientId: string;
  clientSecret: string | null;
  /** A confidential module has a secret: none here means its answer was lost on the way (a repeat's answer). */
  confidential?: boolean;
}

/** A module's values after registering it or rotating its secret, the secret shown once. */
export function SecretDialog({ credentials, onClose }: { credentials: ModuleCredentials | null; onClose: () => void }) {
  const issuer = `${window.location.origin}/oidc`;
  const rotated = credentials?.kind === 'rotated';
  const name = <strong>{credentials?.moduleName}</strong>;
  const secretLost = Boolean(credentials?.confidential && !credentials.clientSecret);
  return (
    <OneTimeSecretDialog
      opened={credentials !== null}
      title={rotated ? 'New client secret' : 'Module registered'}
      hasSecret={Boolean(credentials?.clientSecret)}
      secretLost={secretLost}
      onClose={onClose}
      intro={
        rotated ? (
          <>{name} has a new client secret. The previous one has stopped working: update the module's configuration now.</>
        ) : (
          <>{name} is registered. Configure the module with these values, then grant it to companies on the Companies tab.</>
        )
      }
    >
      {!rotated && <CopyField label="Issuer" value={issuer} />}
      <CopyField label="Client ID" value={credentials?.clientId ?? ''} />
      {credentials?.clientSecret && <CopyField label="Client Secret" value={credentials.clientSecret} />}
      {!credentials?.clientSecret && !secretLost && (
        <Text size="sm" c="dimmed">
          A public module has no client secret: it signs users in with PKCE alone.
        </Text>
      )}
      {!rotated && (
        <Text size="xs" c="dimmed">
          The module finds everything else at {issuer}/.well-known/openid-configuration.
        </Text>
      )}
    </OneTimeSecretDialog>
  );
}

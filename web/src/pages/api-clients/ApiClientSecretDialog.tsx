import type { ApiClientCreated } from '../../api/apiClients';
import { CopyField } from '../../components/CopyField';
import { OneTimeSecretDialog } from '../../components/OneTimeSecretDialog';

export interface ShownSecret extends ApiClientCreated {
  /** "created": a new client; "rotated": a new secret for an existing one. */
  kind: 'created' | 'rotated';
}

/** An API client's credentials after creating it or rotating its secret, the secret shown once. */
export function ApiClientSecretDialog({ shown, onClose }: { shown: ShownSecret | null; onClose: () => void }) {
  const tokenUrl = `${window.location.origin}/oidc/token`;
  const rotated = shown?.kind === 'rotated';
  const name = <strong>{shown?.client.name}</strong>;
  // Created by a request whose answer was lost; the page's retry was told of it, without the secret.
  const secretLost = shown !== null && !shown.clientSecret;
  return (
    <OneTimeSecretDialog
      opened={shown !== null}
      title={rotated ? 'New client secret' : 'API client created'}
      hasSecret={!secretLost}
      secretLost={secretLost}
      onClose={onClose}
      intro={
        rotated ? (
          <>{name} has a new client secret. The previous one and its tokens have stopped working: update the tool that uses it now.</>
        ) : (
          <>
            {name} is ready. The tool exchanges these for a short access token (OAuth 2.0 client credentials) at the token
            endpoint.
          </>
        )
      }
    >
      <CopyField label="Client ID" value={shown?.client.clientId ?? ''} />
      {!secretLost && <CopyField label="Client Secret" value={shown?.clientSecret ?? ''} />}
      {!rotated && <CopyField label="Token endpoint" value={tokenUrl} />}
    </OneTimeSecretDialog>
  );
}

import { Alert, Button, Checkbox, Modal, Stack, Text, ThemeIcon } from '@mantine/core';
import { useState } from 'react';
import { RecoveryCodes } from '../../components/RecoveryCodes';

interface SuccessDialogProps {
  opened: boolean;
  onDone: () => void;
  /** From the enrollment's answer; shown this once (the server keeps only hashes). */
  recoveryCodes?: string[];
  account?: string;
  /** What was set up: the authenticator app (the seed's path), or a passkey or security key. */
  factor?: 'app' | 'key';
  /** The company requires a passkey or security key too: Done leads on to adding one. */
  keyNext?: boolean;
}

/**
 * The seed's Success dialog; Done continues to the home dashboard. With recovery codes,
 * Done waits for "I have saved my recovery codes", and Escape does not skip them.
 */
export function SuccessDialog({ opened, onDone, recoveryCodes = [], account, factor = 'app', keyNext = false }: SuccessDialogProps) {
  const [saved, setSaved] = useState(false);
  const withCodes = recoveryCodes.length > 0;

  return (
    <Modal
      opened={opened}
      onClose={() => !withCodes && onDone()}
      title="Success"
      centered
      size={withCodes ? 'md' : 'sm'}
      withCloseButton={false}
      closeOnClickOutside={false}
      closeOnEscape={!withCodes}
      // The seed's "Success" is the dialog's heading, not a caption.
      styles={{ title: { fontSize: 'var(--mantine-h2-font-size)', fontWeight: 700, lineHeight: 1.3 } }}
    >
      <Stack gap="md" align="stretch">
        <Stack gap="xs" align="center" ta="center">
          <ThemeIcon size={56} radius="xl" color="teal" variant="light" aria-hidden="true">
            <svg width="28" height="28" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2.2" strokeLinecap="round" strokeLinejoin="round">
              <path d="M5 12.5l4.5 4.5L19 7.5" />
            </svg>
          </ThemeIcon>
          <Text>{factor === 'app' ? 'Your authenticator app is configured.' : 'Your passkey or security key is set up.'}</Text>
          <Text size="sm" c="dimmed">
            {keyNext
              ? 'Your company also requires a passkey or security key: you add one next.'
              : factor === 'app'
                ? 'From now on, enter a code from the app each time you log in.'
                : 'From now on, use it each time you log in.'}
          </Text>
        </Stack>
        {withCodes && (
          <>
            <Alert color="yellow" variant="light" p="sm">
              {/* Plain text colour: the alert's yellow would be too faint to read. */}
              <Text size="sm" fw={600}>
                Save your recovery codes now.
              </Text>
              <Text size="sm" mt={4}>
                {factor === 'app' ? "If you lose your phone, each code lets you log in once instead of the app's code." : 'If you lose your key, each code lets you log in once instead.'} This is the only time
                Gatehouse shows them.
              </Text>
            </Alert>
            <RecoveryCodes codes={recoveryCodes} account={account} />
            <Checkbox
              label="I have saved my recovery codes"
              checked={saved}
              onChange={(event) => setSaved(event.currentTarget.checked)}
            />
          </>
        )}
        <Button size="md" fullWidth onClick={onDone} disabled={withCodes && !saved} data-autofocus={!withCodes || undefined}>
          Done
        </Button>
      </Stack>
    </Modal>
  );
}

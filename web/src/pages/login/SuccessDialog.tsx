import { Button, Modal, Stack, Text, ThemeIcon } from '@mantine/core';

/** The seed's Success dialog; Done (or Escape) continues to the home dashboard. */
export function SuccessDialog({ opened, onDone }: { opened: boolean; onDone: () => void }) {
  return (
    <Modal opened={opened} onClose={onDone} title="Success" centered withCloseButton={false} closeOnClickOutside={false}>
      <Stack gap="md" align="center" ta="center">
        <ThemeIcon size={56} radius="xl" color="teal" variant="light" aria-hidden="true">
          <svg width="28" height="28" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2.2" strokeLinecap="round" strokeLinejoin="round">
            <path d="M5 12.5l4.5 4.5L19 7.5" />
          </svg>
        </ThemeIcon>
        <Text>Your authenticator app is configured.</Text>
        <Text size="sm" c="dimmed">
          From now on, enter a code from the app each time you log in.
        </Text>
        <Button size="md" fullWidth onClick={onDone} data-autofocus>
          Done
        </Button>
      </Stack>
    </Modal>
  );
}

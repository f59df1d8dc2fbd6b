import { Group, Text } from '@mantine/core';

/** The Gatehouse mark (a gate arch) and name; decorative, so the text carries the name. */
export function Wordmark({ size = 28 }: { size?: number }) {
  return (
    <Group gap={8} wrap="nowrap" align="center">
      <svg width={size} height={size} viewBox="0 0 32 32" aria-hidden="true" focusable="false">
        <rect width="32" height="32" rx="7" fill="var(--mantine-primary-color-filled)" />
        <path d="M8 26V13l8-6 8 6v13h-5v-7a3 3 0 0 0-6 0v7z" fill="#fff" />
      </svg>
      <Text component="span" fw={700} fz={size * 0.7} lh={1} c="var(--mantine-color-text)" style={{ letterSpacing: '-0.01em' }}>
        Gatehouse
      </Text>
    </Group>
  );
}

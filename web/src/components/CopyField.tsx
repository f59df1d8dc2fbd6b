import { Button, Code, CopyButton, Group, Stack, Text } from '@mantine/core';

/**
 * One click selects the whole value, to copy by hand. Safari knows the rule only by its
 * prefixed name, and React adds no prefixes to inline styles: both are written.
 */
export const SELECTED_WHOLE_ON_CLICK = { WebkitUserSelect: 'all', userSelect: 'all' } as const;

/** A value to paste into another system (a module, a script): monospace, selectable, copyable. */
export function CopyField({ label, value }: { label: string; value: string }) {
  return (
    <Stack gap={4}>
      <Text size="sm" fw={500}>
        {label}
      </Text>
      <Group gap="xs" wrap="nowrap" align="stretch">
        <Code
          block
          fz="sm"
          style={{ flex: 1, minWidth: 0, ...SELECTED_WHOLE_ON_CLICK, whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}
        >
          {value}
        </Code>
        <CopyButton value={value}>
          {({ copied, copy }) => (
            <Button variant="default" onClick={copy} aria-label={copied ? `${label} copied` : `Copy ${label}`} w={92} style={{ flex: 'none' }}>
              {copied ? 'Copied' : 'Copy'}
            </Button>
          )}
        </CopyButton>
      </Group>
    </Stack>
  );
}

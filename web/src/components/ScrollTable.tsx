import { Table, type TableScrollContainerProps } from '@mantine/core';

interface ScrollTableProps extends Omit<TableScrollContainerProps, 'type'> {
  /** Names the scroll area for screen readers, e.g. "Users". */
  label: string;
}

/**
 * The one wrapper every wide table sits in: on a narrow screen it scrolls sideways, so it
 * must be reachable by keyboard (focusable, then the arrow keys scroll it) and named, as a
 * region, for the screen reader that lands on it. A native scroll box, not Mantine's
 * ScrollArea, whose inner viewport would be a second, unnamed scroll container.
 */
export function ScrollTable({ label, children, ...props }: ScrollTableProps) {
  return (
    <Table.ScrollContainer type="native" tabIndex={0} role="region" aria-label={label} className="mantine-focus-auto" {...props}>
      {children}
    </Table.ScrollContainer>
  );
}

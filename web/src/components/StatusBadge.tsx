import { Badge } from '@mantine/core';
import { humanize } from '../format';

const colors: Record<string, string> = {
  active: 'teal',
  approved: 'teal',
  pending: 'blue',
  suspended: 'red',
  rejected: 'red',
  disabled: 'gray',
  sent: 'teal',
  delivered: 'teal',
  queued: 'blue',
  failed: 'red',
};

/** A company, request or mail status; unknown values still show, in grey. */
export function StatusBadge({ status }: { status: string }) {
  return (
    <Badge color={colors[status] ?? 'gray'} variant="light" tt="none">
      {humanize(status)}
    </Badge>
  );
}

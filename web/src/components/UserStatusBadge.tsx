import { Badge } from '@mantine/core';
import { humanize } from '../format';

// The words a Master reads in the users list and the compliance view (docs/API.md statuses).
const LOOK: Record<string, { label: string; color: string }> = {
  invited: { label: 'Invited', color: 'blue' },
  not_enrolled: { label: 'No 2FA yet', color: 'orange' },
  active: { label: 'Active', color: 'teal' },
  disabled: { label: 'Deactivated', color: 'gray' },
};

export function UserStatusBadge({ status }: { status: string }) {
  const look = LOOK[status] ?? { label: humanize(status), color: 'gray' };
  return (
    <Badge color={look.color} variant="light" tt="none">
      {look.label}
    </Badge>
  );
}

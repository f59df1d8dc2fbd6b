import { Badge } from '@mantine/core';
import type { AccountRequest } from '../../api';

/** The 24 to 48 hour promise made visible: Due after 24 h, Overdue after 48 h. */
export function UrgencyBadge({ urgency }: { urgency: AccountRequest['urgency'] }) {
  if (urgency === 'overdue') return <Badge color="red" variant="filled" tt="none">Overdue</Badge>;
  if (urgency === 'due') return <Badge color="yellow" variant="filled" tt="none" c="dark">Due</Badge>;
  return <Badge color="blue" variant="light" tt="none">New</Badge>;
}

import { Button, Menu } from '@mantine/core';
import { Fragment } from 'react';
import type { CompanyUser } from '../../api/admin';
import { ACTION_LABELS, DANGEROUS, type UserAction } from './userActions';

function Chevron() {
  return (
    <svg width="12" height="12" viewBox="0 0 12 12" fill="none" stroke="currentColor" strokeWidth="1.8" aria-hidden="true">
      <path d="M3 4.5l3 3 3-3" strokeLinecap="round" strokeLinejoin="round" />
    </svg>
  );
}

interface UserActionsMenuProps {
  user: CompanyUser;
  actions: UserAction[];
  onChoose: (action: UserAction, user: CompanyUser) => void;
}

/** One menu per row, named after its user, so a screen reader hears whose actions these are. */
export function UserActionsMenu({ user, actions, onChoose }: UserActionsMenuProps) {
  const destructiveFrom = actions.findIndex((action) => DANGEROUS.has(action));
  return (
    <Menu position="bottom-end" withinPortal shadow="md" width={220}>
      <Menu.Target>
        <Button variant="default" size="compact-sm" rightSection={<Chevron />} aria-label={`Actions for ${user.username}`}>
          Actions
        </Button>
      </Menu.Target>
      <Menu.Dropdown>
        {actions.map((action, index) => (
          <Fragment key={action}>
            {index === destructiveFrom && index > 0 && <Menu.Divider />}
            {/* red.8: Mantine's default red is too light for small text on white (WCAG AA). */}
            <Menu.Item color={DANGEROUS.has(action) ? 'red.8' : undefined} onClick={() => onChoose(action, user)}>
              {ACTION_LABELS[action]}
            </Menu.Item>
          </Fragment>
        ))}
      </Menu.Dropdown>
    </Menu>
  );
}

import { Button, Group, Menu } from '@mantine/core';
import { Link, useLocation } from 'react-router';
import type { Me } from '../api';
import { isMaster } from '../roles';

/** The signed-in user's places: Operator Console for operators, Company for Masters, My Settings for everyone. */
function placesFor(me: Me) {
  return [
    ...(me.user.isOperator ? [{ to: '/operator', label: 'Operator Console' }] : []),
    ...(isMaster(me) ? [{ to: '/company', label: 'Company' }] : []),
    { to: '/settings', label: 'My Settings' },
  ];
}

export function HeaderNav({ me }: { me: Me }) {
  const { pathname } = useLocation();
  const places = placesFor(me);
  return (
    <>
      <Group component="nav" aria-label="Main" gap={4} wrap="nowrap" visibleFrom="md">
        {places.map((place) => {
          const current = pathname === place.to || pathname.startsWith(`${place.to}/`);
          return (
            <Button key={place.to} component={Link} to={place.to} variant={current ? 'light' : 'subtle'} aria-current={current ? 'page' : undefined}>
              {place.label}
            </Button>
          );
        })}
      </Group>
      {/* Narrow screens: the same links in a menu, so the header stays on one line. */}
      <Menu position="bottom-end" withinPortal>
        <Menu.Target>
          <Button variant="subtle" hiddenFrom="md">
            Menu
          </Button>
        </Menu.Target>
        <Menu.Dropdown>
          {places.map((place) => (
            <Menu.Item key={place.to} component={Link} to={place.to}>
              {place.label}
            </Menu.Item>
          ))}
        </Menu.Dropdown>
      </Menu>
    </>
  );
}

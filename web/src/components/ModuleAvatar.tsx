import { Avatar } from '@mantine/core';

// Darker hues only: the initials sit on a light tint and must stay readable.
const COLORS = ['blue', 'cyan', 'grape', 'green', 'indigo', 'orange', 'pink', 'red', 'teal', 'violet'];

const initials = (name: string) =>
  name
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((word) => word[0]?.toUpperCase())
    .join('');

/**
 * The module's logo, or its initials on a colour picked from its name. Decorative: the
 * name is always written next to it. A logo that fails to load (or that the CSP refuses)
 * falls back to the initials.
 */
export function ModuleAvatar({ name, logoUrl }: { name: string; logoUrl: string | null }) {
  return (
    <Avatar
      src={logoUrl}
      alt=""
      aria-hidden="true"
      name={name}
      color="initials"
      allowedInitialsColors={COLORS}
      radius="md"
      size={48}
    >
      {initials(name)}
    </Avatar>
  );
}

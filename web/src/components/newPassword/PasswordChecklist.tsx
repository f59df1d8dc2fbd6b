import { List, Text, ThemeIcon, VisuallyHidden } from '@mantine/core';
import type { PasswordRule } from '../../api';
import { rulesFor } from './passwordRules';

function Mark({ met }: { met: boolean }) {
  return (
    <ThemeIcon size={20} radius="xl" color={met ? 'teal' : 'gray'} variant={met ? 'filled' : 'light'} aria-hidden="true">
      <svg width="12" height="12" viewBox="0 0 12 12" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round">
        {met ? <path d="M2.5 6.2l2.3 2.3 4.7-5" /> : <path d="M3 6h6" />}
      </svg>
    </ThemeIcon>
  );
}

/**
 * Each rule says met or not met in words as well as by its mark. The list is a polite live
 * region, so only the rule whose state changed is read out (whole, being atomic) while the
 * user types.
 */
export function PasswordChecklist({ password, id, rule }: { password: string; id: string; rule?: PasswordRule }) {
  return (
    <div id={id}>
      <Text size="sm" fw={500} mb={6}>
        Your password needs
      </Text>
      <List spacing={6} size="sm" center aria-live="polite">
        {rulesFor(rule).map((check) => {
          const met = check.test(password);
          return (
            <List.Item key={check.id} icon={<Mark met={met} />} aria-atomic="true">
              {check.label}
              <VisuallyHidden>{met ? ': met' : ': not met yet'}</VisuallyHidden>
            </List.Item>
          );
        })}
      </List>
    </div>
  );
}

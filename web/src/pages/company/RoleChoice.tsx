import { Radio, Stack } from '@mantine/core';
import type { InvitableRole } from '../../api/admin';

interface RoleChoiceProps {
  value: InvitableRole;
  onChange: (role: InvitableRole) => void;
  error?: string;
}

/** Radios rather than a drop-down: two choices, both visible with what they mean. */
export function RoleChoice({ value, onChange, error }: RoleChoiceProps) {
  return (
    <Radio.Group label="Role" value={value} onChange={(next) => onChange(next as InvitableRole)} error={error}>
      <Stack gap="xs" mt={6}>
        <Radio value="user" label="User" description="Logs in to Gatehouse and the modules your company switched on." />
        <Radio value="master" label="Master" description="Also administers the company: users, security policy and audit log." />
      </Stack>
    </Radio.Group>
  );
}

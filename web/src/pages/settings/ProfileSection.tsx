import { Box, Button, Group, Text, TextInput } from '@mantine/core';
import { Fragment, useEffect, useState, type FormEvent } from 'react';
import { meApi, type Profile } from '../../api/me';
import { ErrorAlert } from '../../components/ErrorAlert';
import { formErrors } from '../../forms/errors';
import { humanize } from '../../format';
import { useAction } from '../../hooks/useAction';
import { Notice } from '../../components/Notice';
import { SettingsCard } from './SettingsCard';

export function ProfileSection({ profile, onSaved }: { profile: Profile; onSaved: (profile: Profile) => void }) {
  const [displayName, setDisplayName] = useState(profile.displayName ?? '');
  const [missing, setMissing] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const action = useAction();
  const { fields, summary } = formErrors(action.error);

  useEffect(() => setDisplayName(profile.displayName ?? ''), [profile.displayName]);

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setNotice(null);
    setMissing(!displayName.trim());
    if (!displayName.trim()) return;
    const saved = await action.run(() => meApi.saveProfile(displayName.trim()));
    if (!saved) return;
    setNotice('Your display name is saved.');
    onSaved(saved);
  };

  return (
    <SettingsCard title="Profile" description="Your username, company and role are set by your company's Masters.">
      <Box component="dl" m={0} style={{ display: 'grid', gridTemplateColumns: 'max-content 1fr', gap: '4px 24px' }}>
        {[
          ['Username', profile.username],
          ['Company', profile.companyName],
          ['Role', humanize(profile.role)],
        ].map(([name, value]) => (
          <Fragment key={name}>
            <Text component="dt" size="sm" c="dimmed">{name}</Text>
            <Text component="dd" size="sm" m={0}>{value}</Text>
          </Fragment>
        ))}
      </Box>
      <Notice message={notice} onClose={() => setNotice(null)} />
      <ErrorAlert message={summary} />
      <form onSubmit={onSubmit} noValidate>
        <Group align="flex-start" gap="sm">
          <TextInput
            label="Display Name"
            description="How Gatehouse and its modules show your name."
            autoComplete="name"
            maxLength={100}
            style={{ flex: 1, minWidth: 220 }}
            value={displayName}
            onChange={(event) => {
              setDisplayName(event.currentTarget.value);
              setMissing(false);
            }}
            error={missing ? 'Enter a display name.' : fields.displayName}
          />
        </Group>
        <Group mt="sm">
          <Button type="submit" loading={action.pending} disabled={displayName.trim() === (profile.displayName ?? '')}>
            Save
          </Button>
        </Group>
      </form>
    </SettingsCard>
  );
}

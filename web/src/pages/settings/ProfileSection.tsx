import { Box, Button, Group, Text, TextInput } from '@mantine/core';
import { Fragment, useEffect, useState } from 'react';
import { meApi, type Profile } from '../../api/me';
import { ErrorAlert } from '../../components/ErrorAlert';
import { useApiForm } from '../../forms';
import { profileSchema } from '../../forms/schemas';
import { humanize } from '../../format';
import { Notice } from '../../components/Notice';
import { SettingsCard } from './SettingsCard';

export function ProfileSection({ profile, onSaved }: { profile: Profile; onSaved: (profile: Profile) => void }) {
  const [notice, setNotice] = useState<string | null>(null);
  const { form, ref, summary, pending, submit } = useApiForm({
    initialValues: { displayName: profile.displayName },
    schema: profileSchema,
  });
  const { setValues } = form;

  useEffect(() => setValues({ displayName: profile.displayName }), [profile.displayName, setValues]);

  const onSubmit = submit(
    ({ displayName }) => {
      setNotice(null);
      return meApi.saveProfile(displayName);
    },
    (saved) => {
      setNotice('Your display name is saved.');
      onSaved(saved);
    },
  );

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
            <Text component="dd" size="sm" m={0} miw={0} style={{ overflowWrap: 'anywhere' }}>{value}</Text>
          </Fragment>
        ))}
      </Box>
      <Notice message={notice} onClose={() => setNotice(null)} />
      <ErrorAlert message={summary} />
      <form ref={ref} onSubmit={onSubmit} noValidate>
        <Group align="flex-start" gap="sm">
          <TextInput
            label="Display Name"
            description="How Gatehouse and its modules show your name."
            autoComplete="name"
            maxLength={100}
            style={{ flex: 1, minWidth: 220 }}
            {...form.getInputProps('displayName')}
          />
        </Group>
        <Group mt="sm">
          <Button type="submit" loading={pending} disabled={form.values.displayName.trim() === profile.displayName}>
            Save
          </Button>
        </Group>
      </form>
    </SettingsCard>
  );
}

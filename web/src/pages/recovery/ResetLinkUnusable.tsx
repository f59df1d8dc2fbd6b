import { Anchor, List, Stack, Text } from '@mantine/core';
import { Link } from 'react-router';
import { AuthCard } from '../../components/AuthCard';
import { PageHeading } from '../../components/PageHeading';
import { usePageTitle } from '../../hooks/usePageTitle';

/** Every reason a reset link fails gets this one page, as the server gives one answer for all. */
export function ResetLinkUnusable() {
  usePageTitle('Link no longer valid');
  return (
    <AuthCard>
      <Stack gap="md">
        <PageHeading focus>This link can no longer be used</PageHeading>
        <Text>Password reset links work once and for one hour. This one:</Text>
        <List spacing={4}>
          <List.Item>has already been used, or</List.Item>
          <List.Item>has expired, or</List.Item>
          <List.Item>was replaced by a newer reset email.</List.Item>
        </List>
        <Text>
          Ask for a new link with "Forgot password?" on the{' '}
          <Anchor component={Link} to="/login">
            login page
          </Anchor>
          .
        </Text>
      </Stack>
    </AuthCard>
  );
}

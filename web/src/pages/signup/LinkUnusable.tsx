import { Anchor, List, Stack, Text } from '@mantine/core';
import { Link } from 'react-router';
import { AuthCard } from '../../components/AuthCard';
import { PageHeading } from '../../components/PageHeading';
import { usePageTitle } from '../../hooks/usePageTitle';

/** One page for every reason a Sign Up link fails, as the server gives one answer for all. */
export function LinkUnusable() {
  usePageTitle('Link no longer valid');
  return (
    <AuthCard>
      <Stack gap="md">
        <PageHeading focus>This link can no longer be used</PageHeading>
        <Text>Sign Up links work once and only for a limited time. This one:</Text>
        <List spacing={4}>
          <List.Item>has already been used to set a password, or</List.Item>
          <List.Item>has expired, or</List.Item>
          <List.Item>was replaced by a newer welcome email.</List.Item>
        </List>
        <Text>
          Look for a newer "Welcome to Gatehouse" email, or ask your account manager or Gatehouse support to send a new
          one. If you already set your password, you can{' '}
          <Anchor component={Link} to="/login">
            go to the login page
          </Anchor>
          .
        </Text>
      </Stack>
    </AuthCard>
  );
}

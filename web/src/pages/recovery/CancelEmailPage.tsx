import { Alert, Anchor, Button, Group, List, Stack, Text } from '@mantine/core';
import { Link, useParams } from 'react-router';
import { recoveryApi } from '../../api/recovery';
import { AuthCard } from '../../components/AuthCard';
import { ErrorAlert } from '../../components/ErrorAlert';
import { PageHeading } from '../../components/PageHeading';
import { useLinkAction } from '../../hooks/useLinkAction';
import { usePageTitle } from '../../hooks/usePageTitle';

/**
 * The link in "Your Gatehouse email address is being changed", sent to the old address.
 * As with the confirm link, opening it changes nothing; only the button cancels, so a
 * mail scanner that follows links cannot act for the user.
 */
export function CancelEmailPage() {
  const { token = '' } = useParams();
  const { outcome, action, submit: cancel } = useLinkAction(() => recoveryApi.cancelEmailChange(token));
  usePageTitle(outcome.kind === 'done' ? 'Email Change Cancelled' : 'Cancel Email Change');

  return (
    <AuthCard>
      <Stack gap="md">
        {outcome.kind === 'asking' && (
          <>
            <PageHeading>Cancel the change of your email address</PageHeading>
            <Text size="sm">
              Someone asked to change the email address of your Gatehouse account to another address. Select Cancel
              Change to stop it: its confirmation link stops working and your address stays as it is.
            </Text>
            <ErrorAlert message={action.error?.message ?? null} />
            <Group>
              <Button color="red" onClick={() => void cancel()} loading={action.pending}>
                Cancel Change
              </Button>
            </Group>
          </>
        )}
        {outcome.kind === 'done' && (
          <>
            <PageHeading focus>Email Change Cancelled</PageHeading>
            <Alert color="teal" variant="light" role="status">
              Your Gatehouse email address stays as it is. The confirmation link no longer works.
            </Alert>
            <Text size="sm">
              If you did not ask for the change, someone may know your password: log in and change it in{' '}
              <Anchor component={Link} to="/settings">
                My Settings
              </Anchor>
              , which also signs you out everywhere, and tell your company administrator.
            </Text>
          </>
        )}
        {outcome.kind === 'gone' && (
          <>
            <PageHeading focus>This link can no longer be used</PageHeading>
            <Text>Cancel links work once and for 24 hours. This one:</Text>
            <List spacing={4}>
              <List.Item>has already been used, or</List.Item>
              <List.Item>has expired, or</List.Item>
              <List.Item>belongs to a change that was already confirmed, replaced or ended.</List.Item>
            </List>
            <Text>
              To see your current address, log in and open{' '}
              <Anchor component={Link} to="/settings">
                My Settings
              </Anchor>
              .
            </Text>
          </>
        )}
      </Stack>
    </AuthCard>
  );
}

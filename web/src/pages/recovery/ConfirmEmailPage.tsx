import { Alert, Anchor, Button, Group, List, Stack, Text } from '@mantine/core';
import { Link, useParams } from 'react-router';
import { recoveryApi } from '../../api/recovery';
import { AuthCard } from '../../components/AuthCard';
import { ErrorAlert } from '../../components/ErrorAlert';
import { PageHeading } from '../../components/PageHeading';
import { useLinkAction } from '../../hooks/useLinkAction';
import { usePageTitle } from '../../hooks/usePageTitle';

/**
 * The link in "Confirm your new Gatehouse email address". It may be opened in another
 * browser, without a session. Opening it changes nothing: only the Confirm button does,
 * so a mail scanner that follows links (and runs their scripts) cannot confirm for the user.
 */
export function ConfirmEmailPage() {
  const { token = '' } = useParams();
  const { outcome, action, submit: confirm } = useLinkAction(() => recoveryApi.confirmEmail(token));
  usePageTitle(outcome.kind === 'done' ? 'Email Address Confirmed' : 'Confirm Email Address');

  return (
    <AuthCard>
      <Stack gap="md">
        {outcome.kind === 'asking' && (
          <>
            <PageHeading>Confirm your new email address</PageHeading>
            <Text size="sm">
              You asked to change the email address of your Gatehouse account. Select Confirm to use the address this
              link was sent to from now on.
            </Text>
            <ErrorAlert message={action.error?.message ?? null} />
            <Group>
              <Button onClick={() => void confirm()} loading={action.pending}>
                Confirm
              </Button>
            </Group>
          </>
        )}
        {outcome.kind === 'done' && (
          <>
            <PageHeading focus>Email Address Confirmed</PageHeading>
            <Alert color="teal" variant="light" role="status">
              Your Gatehouse email address is now <strong>{outcome.value.email}</strong>.
            </Alert>
            <Text size="sm">
              Emails from Gatehouse, such as password reset links, go to this address from now on. Links sent to your
              old address no longer work.
            </Text>
            <Group>
              <Button component={Link} to="/">
                Go to Gatehouse
              </Button>
            </Group>
          </>
        )}
        {outcome.kind === 'gone' && (
          <>
            <PageHeading focus>This link can no longer be used</PageHeading>
            <Text>Email confirmation links work once and for 24 hours. This one:</Text>
            <List spacing={4}>
              <List.Item>has already been used, or</List.Item>
              <List.Item>has expired, or</List.Item>
              <List.Item>was replaced by a newer change of address.</List.Item>
            </List>
            <Text>
              Your email address is unchanged unless you confirmed it already. To change it, use{' '}
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

import { Alert, Anchor, Text } from '@mantine/core';
import { Link } from 'react-router';

/** For Users (403 auth.forbidden): company administration is for Masters. */
export function NoAccess() {
  return (
    <Alert color="yellow" variant="light" role="alert">
      <Text fw={600}>Company administration is for your company's Masters.</Text>
      <Text size="sm" mt={4}>
        Your role does not include it. If you need it, ask your company's Root Master.{' '}
        <Anchor component={Link} to="/" size="sm">
          Back to the home page
        </Anchor>
      </Text>
    </Alert>
  );
}

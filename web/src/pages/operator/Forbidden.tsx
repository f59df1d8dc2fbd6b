import { Alert, Anchor, Text } from '@mantine/core';
import { Link } from 'react-router';

/** For signed-in users who are not operators (403 auth.forbidden). */
export function Forbidden() {
  return (
    <Alert color="yellow" variant="light" role="alert">
      <Text fw={600}>The Operator Console is for Gatehouse operators only.</Text>
      <Text size="sm" mt={4}>
        Your account does not have operator access. If you need it, ask a Gatehouse administrator.{' '}
        <Anchor component={Link} to="/" size="sm">
          Back to the home page
        </Anchor>
      </Text>
    </Alert>
  );
}

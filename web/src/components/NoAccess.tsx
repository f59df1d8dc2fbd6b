import { Alert, Anchor, Text } from '@mantine/core';
import { Link } from 'react-router';

/** Who each signed-in place is for, in the words the seed uses. */
const PLACES = {
  operator: {
    title: 'The Operator Console is for Gatehouse operators only.',
    hint: 'Your account does not have operator access. If you need it, ask a Gatehouse administrator.',
  },
  company: {
    title: "Company administration is for your company's Masters.",
    hint: "Your role does not include it. If you need it, ask your company's Root Master.",
  },
} as const;

export type Place = keyof typeof PLACES;

/** A signed-in user in a place their role does not reach (403 auth.forbidden). */
export function NoAccess({ place }: { place: Place }) {
  const { title, hint } = PLACES[place];
  return (
    <Alert color="yellow" variant="light" role="alert">
      <Text fw={600}>{title}</Text>
      <Text size="sm" mt={4}>
        {hint}{' '}
        <Anchor component={Link} to="/" size="sm">
          Back to the home page
        </Anchor>
      </Text>
    </Alert>
  );
}

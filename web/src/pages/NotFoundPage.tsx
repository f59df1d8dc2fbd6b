import { Button, Stack, Text } from '@mantine/core';
import { Link } from 'react-router';
import { AuthCard } from '../components/AuthCard';
import { PageHeading } from '../components/PageHeading';
import { usePageTitle } from '../hooks/usePageTitle';

export function NotFoundPage() {
  usePageTitle('Page not found');
  return (
    <AuthCard>
      <Stack gap="md">
        <PageHeading>Page not found</PageHeading>
        <Text>There is no page at this address. It may have moved, or the link may be mistyped.</Text>
        <Button component={Link} to="/" variant="default">
          Go to the home page
        </Button>
      </Stack>
    </AuthCard>
  );
}

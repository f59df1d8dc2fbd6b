import { Anchor, Stack, Text } from '@mantine/core';
import { useState } from 'react';
import { Link } from 'react-router';
import { api } from '../api';
import { AccountRequestForm } from '../components/AccountRequestForm';
import { AuthCard } from '../components/AuthCard';
import { PageHeading } from '../components/PageHeading';
import { usePageTitle } from '../hooks/usePageTitle';

export function RequestAccountPage() {
  usePageTitle('Request a company account');
  const [sentTo, setSentTo] = useState<string | null>(null);

  const footer = (
    <Text ta="center" size="sm">
      Already have an account?{' '}
      <Anchor component={Link} to="/login">
        Go to the login page
      </Anchor>
    </Text>
  );

  if (sentTo !== null) {
    return (
      <AuthCard width="md" footer={footer}>
        <Stack gap="md">
          <PageHeading focus>Request received</PageHeading>
          <Text>
            We'll review your request within 24 to 48 hours; the welcome email will come from our noreply address.
          </Text>
          <Text size="sm" c="dimmed">
            It goes to {sentTo} and has the subject "Welcome to Gatehouse". Its Sign Up button lets you set the password
            of your company's first user, the Root Master.
          </Text>
        </Stack>
      </AuthCard>
    );
  }

  return (
    <AuthCard width="md" footer={footer}>
      <Stack gap="lg">
        <div>
          <PageHeading>Request a company account</PageHeading>
          <Text size="sm" c="dimmed" mt={4}>
            Tell us who you are. We review every request within 24 to 48 hours and send a welcome email to set up your
            company's first user.
          </Text>
        </div>
        <AccountRequestForm submit={api.requestAccount} onSubmitted={(input) => setSentTo(input.email)} autoFocus />
      </Stack>
    </AuthCard>
  );
}

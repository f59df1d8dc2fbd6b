import { Anchor, List, Stack, Text } from '@mantine/core';
import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { AuthCard } from './AuthCard';
import { PageHeading } from './PageHeading';
import { usePageTitle } from '../hooks/usePageTitle';

const loginLink = (text: string) => (
  <Anchor component={Link} to="/login">
    {text}
  </Anchor>
);

/** What each kind of emailed link says about why it failed and what to do next. */
const LINKS: Record<'signup' | 'reset', { lead: string; reasons: string[]; next: ReactNode }> = {
  // One text for a Root Master's welcome and an invited user's invitation: the server
  // answers the same for both, and for every reason, so nothing is told of the link.
  signup: {
    lead: 'Sign Up links work once and only for a limited time. This one:',
    reasons: ['has already been used to set a password, or', 'has expired, or', 'was replaced by a newer email with a new link.'],
    next: (
      <>
        Look for a newer email from Gatehouse with a Sign Up link. If a Master of your company invited you, ask them to
        send the invitation again; if you are your company's Root Master, ask your account manager to send a new welcome.
        If you already set your password, you can {loginLink('go to the login page')}.
      </>
    ),
  },
  reset: {
    lead: 'Password reset links work once and for one hour. This one:',
    reasons: ['has already been used, or', 'has expired, or', 'was replaced by a newer reset email.'],
    next: <>Ask for a new link with "Forgot password?" on the {loginLink('login page')}.</>,
  },
};

/** One page for every reason an emailed link fails, as the server gives one answer for all. */
export function LinkUnusable({ link }: { link: keyof typeof LINKS }) {
  usePageTitle('Link no longer valid');
  const { lead, reasons, next } = LINKS[link];
  return (
    <AuthCard>
      <Stack gap="md">
        <PageHeading focus>This link can no longer be used</PageHeading>
        <Text>{lead}</Text>
        <List spacing={4}>
          {reasons.map((reason) => (
            <List.Item key={reason}>{reason}</List.Item>
          ))}
        </List>
        <Text>{next}</Text>
      </Stack>
    </AuthCard>
  );
}

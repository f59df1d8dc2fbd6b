import { Anchor, Box, Card, Center, Container, Stack, Text } from '@mantine/core';
import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { Wordmark } from './Wordmark';

interface AuthCardProps {
  children: ReactNode;
  /** Wider for the 2FA setup and the request form. */
  width?: 'sm' | 'md';
  footer?: ReactNode;
}

/** The centred card every signed-out page sits in. */
export function AuthCard({ children, width = 'sm', footer }: AuthCardProps) {
  return (
    <Box component="main" mih="100vh" bg="var(--mantine-color-gray-0)" py={{ base: 'lg', sm: 48 }}>
      <Container size={width === 'sm' ? 440 : 600} px="md">
        <Stack gap="lg">
          <Center>
            <Anchor component={Link} to="/" underline="never" aria-label="Gatehouse home">
              <Wordmark size={32} />
            </Anchor>
          </Center>
          <Card withBorder shadow="sm" radius="lg" padding="xl">
            {children}
          </Card>
          {footer}
          <Text ta="center" size="xs" c="dimmed">
            Gatehouse · open-source identity portal
          </Text>
        </Stack>
      </Container>
    </Box>
  );
}

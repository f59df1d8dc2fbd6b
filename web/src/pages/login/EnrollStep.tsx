import { useState } from 'react';
import { api, type Enrollment } from '../../api';
import { useAction } from '../../hooks/useAction';
import { flowExpired } from './flowExpired';
import type { StepProps } from './LoginPage';
import { SecurityMattersIntro } from './SecurityMattersIntro';
import { SetUp2fa } from './SetUp2fa';

interface EnrollStepProps extends StepProps {
  onFinish: (redirectTo?: string) => void;
}

/** First login without 2FA: the Your Security Matters page, then the Set Up 2FA window. */
export function EnrollStep({ flow, onExpired, onFinish }: EnrollStepProps) {
  const [enrollment, setEnrollment] = useState<Enrollment | null>(null);
  const start = useAction();

  const onGetStarted = async () => {
    // The server hands out the same secret for the same flow, so this is safe to repeat.
    const result = await start.run(() => api.login.enrollStart(), flowExpired(onExpired));
    if (result) setEnrollment(result);
  };

  if (!enrollment) {
    return <SecurityMattersIntro onGetStarted={onGetStarted} pending={start.pending} error={start.error?.message} />;
  }
  const account = flow.username && flow.companyName ? `${flow.username} at ${flow.companyName}` : undefined;
  return <SetUp2fa enrollment={enrollment} account={account} onExpired={onExpired} onFinish={onFinish} />;
}

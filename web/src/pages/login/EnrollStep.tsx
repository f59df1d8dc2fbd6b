import { useState } from 'react';
import { api, type Enrollment } from '../../api';
import { securityKeysApi } from '../../api/securityKeys';
import { supportsPasskeys } from '../../webauthn';
import { SuccessDialog } from './SuccessDialog';
import { useAction } from '../../hooks/useAction';
import { flowExpired } from './flowExpired';
import type { StepProps } from './LoginPage';
import { SecurityMattersIntro } from './SecurityMattersIntro';
import { SetUp2fa } from './SetUp2fa';

interface EnrollStepProps extends StepProps {
  onFinish: (redirectTo?: string) => void;
}

/** First login without 2FA: the Your Security Matters page, then the Set Up 2FA window. */
export function EnrollStep({ flow, onAdvance, onExpired, onRestart, onFinish }: EnrollStepProps) {
  const [enrollment, setEnrollment] = useState<Enrollment | null>(null);
  const start = useAction();

  const onGetStarted = async () => {
    // The server hands out the same secret for the same flow, so this is safe to repeat.
    const result = await start.run(() => api.login.enrollStart(), flowExpired(onExpired));
    if (result) setEnrollment(result);
  };

  // The alternative to the app: the key is added, then asked for at once (a registration
  // alone proves nothing by signature), and the recovery codes are shown as for the app.
  const keyEnroll = useAction();
  const [keyDone, setKeyDone] = useState<{ codes: string[]; redirectTo?: string } | null>(null);
  const onUseKey = async () => {
    const result = await keyEnroll.run(async () => {
      const added = await securityKeysApi.enrollDuringLogin();
      const done = await securityKeysApi.loginWithKey();
      return { codes: added.recoveryCodes ?? [], redirectTo: done.redirectTo };
    }, flowExpired(onExpired));
    if (result) setKeyDone(result);
  };

  const account = flow.username && flow.companyName ? `${flow.username} at ${flow.companyName}` : undefined;
  if (!enrollment) {
    return (
      <>
        <SecurityMattersIntro
          onGetStarted={onGetStarted}
          onUseKey={supportsPasskeys() ? () => void onUseKey() : undefined}
          keyPending={keyEnroll.pending}
          pending={start.pending}
          error={start.error?.message ?? keyEnroll.error?.message}
          who={{ username: flow.username, companyName: flow.companyName, onChange: onRestart }}
        />
        <SuccessDialog opened={keyDone !== null} factor="key" recoveryCodes={keyDone?.codes} account={account} onDone={() => onFinish(keyDone?.redirectTo)} />
      </>
    );
  }
  return <SetUp2fa enrollment={enrollment} account={account} onExpired={onExpired} onNext={onAdvance} />;
}

import { Alert, Button, Group, Stack } from '@mantine/core';
import { useCallback, useEffect, useState } from 'react';
import { useLocation, useNavigate } from 'react-router';
import { api, ApiError, type LoginState } from '../../api';
import { LOGIN_AGAIN_PARAM } from '@contract';
import { whereTheBrowserIs } from '../../api/loginAnswer';
import { AuthCard } from '../../components/AuthCard';
import { ErrorAlert } from '../../components/ErrorAlert';
import { LoadingState } from '../../components/LoadingState';
import { useForgetSession } from '../../session';
import { tellOtherTabs } from '../../session/tabsChannel';
import { EnrollStep } from './EnrollStep';
import { ForgotCompany } from './ForgotCompany';
import { ForgotPassword } from './ForgotPassword';
import { IdentifyStep } from './IdentifyStep';
import { KeyEnrollStep } from './KeyEnrollStep';
import { MailCodeStep } from './MailCodeStep';
import { FOLLOWS_THE_BROWSER } from './flowExpired';
import { PasswordStep } from './PasswordStep';
import { sameOriginPath } from '../../sameOriginPath';
import { CHANGE_NOT_SAVED, changeUnsaved, goingOnWithHeldSession, mayGoOnWithHeldSession, nextPage, returnTo, sessionEnded, type ReturnHandover } from './returnTo';
import { SsoStep, SsoTrustedStep } from './SsoStep';
import { TotpStep } from './TotpStep';

/** What other pages may hand over when they send the user here (router state). */
export interface LoginHandover {
  notice?: string;
  username?: string;
  companyName?: string;
}

type Notice = { tone: 'success' | 'warning'; message: string };

const SSO_FAILED = "Signing in with your company's identity provider did not work. Try again, or ask your company's Master.";
const SSO_COMPANY_FULL =
  "Your company's identity provider signed you in, but your company already has as many Gatehouse users as it may hold, so no account was made for you. Ask your company's Master.";
const SESSION_ENDED = 'Your session has ended. Log in again to continue where you were.';
const LOG_IN_AGAIN = 'The application you are signing in to asks you to log in again to continue.';
const KEY_NEEDED =
  'The application you are signing in to asks for a passkey or security key: choose Log in with a passkey, or Use a passkey or security key at the code step.';

export interface StepProps {
  flow: LoginState;
  onAdvance: (next: LoginState) => void;
  /**
   * The login shown is over (409 login.flow_expired and the like): start again with the
   * message; or another tab's login replaced it (login.restarted): show that one.
   */
  onExpired: (message: string, code: string) => void;
  onRestart: () => void;
  /** Opens "Forgot password?" or "Forgot company name?" in place of the step. */
  onForgot: (what: Forgot) => void;
}

export type Forgot = 'password' | 'company';


/**
 * Identifier-first login. The server owns the flow and answers every call with the next
 * `step`; this page only shows the step it is told, so a reload resumes where it was.
 */
export function LoginPage() {
  const navigate = useNavigate();
  const location = useLocation();
  const [handover] = useState<LoginHandover>(() => (location.state ?? {}) as LoginHandover);
  const [flow, setFlow] = useState<LoginState | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  // The forgot forms sit in front of the flow, which stays where it was for "Back to Log In".
  const [forgot, setForgot] = useState<Forgot | null>(null);
  const [notice, setNotice] = useState<Notice | null>(() => {
    if (handover.notice) return { tone: 'success', message: handover.notice };
    // Back from the company's identity provider without a sign-in (?sso=failed).
    const query = new URLSearchParams(location.search);
    if (query.get('sso') === 'failed') return { tone: 'warning', message: SSO_FAILED };
    // A new user the provider vouched for, past the company's total (?sso=company_full).
    if (query.get('sso') === 'company_full') return { tone: 'warning', message: SSO_COMPANY_FULL };
    // A module asked for phishing-resistant sign-in (acr_values) and this session has none.
    if (query.get('need') === 'key') return { tone: 'warning', message: KEY_NEEDED };
    if (sessionEnded()) return { tone: 'warning', message: changeUnsaved() ? `${SESSION_ENDED} ${CHANGE_NOT_SAVED}` : SESSION_ENDED };
    // A module asked for a recent login (max_age, prompt=login) and this browser's is older.
    if (query.get(LOGIN_AGAIN_PARAM) !== null) return { tone: 'warning', message: LOG_IN_AGAIN };
    return null;
  });

  const finish = useCallback(
    (redirectTo?: string) => {
      // Without the server's word (a twin's answer signed in: api/loginAnswer.ts), a
      // module's sign-in still resumes where this page was sent from (?return=).
      // Only this site's paths, so a crafted answer cannot send the browser elsewhere.
      const target = sameOriginPath(redirectTo ?? returnTo(), window.location.origin);
      // Tabs showing another user's pages look again (a 409 reloads them as this one).
      tellOtherTabs({ kind: 'signed-in' });
      // A server-side destination (an OpenID Connect hand-back) needs a full page load.
      if (target && target !== '/') window.location.assign(target);
      // Back to the page the ended session left (?next=), or the dashboard; that page too
      // says a change was lost (SignedInShell), where the user would look for it.
      else navigate(nextPage() ?? '/', { replace: true, state: changeUnsaved() ? ({ changeNotSaved: true } satisfies ReturnHandover) : null });
    },
    [navigate],
  );

  const advance = useCallback(
    (next: LoginState) => {
      if (next.step === 'done') return finish(next.redirectTo);
      setNotice(null);
      // Later answers carry only `step`; keep who is logging in from earlier ones.
      setFlow((current) => (next.step === 'identify' ? next : { ...current, ...next }));
    },
    [finish],
  );

  // Whoever arrives here (signed out, session ended, about to log in as someone else)
  // must not be shown anything cached for the previous account.
  const forgetSession = useForgetSession();
  useEffect(() => forgetSession(), [forgetSession]);

  const load = useCallback(async () => {
    setLoadError(null);
    try {
      // A module's sign-in goes on with a session another tab made since this page was
      // opened, unless its gate sent a signed-in browser here because that session will
      // not do (a key asked for, max_age, prompt=login): signInToGoOnWith. A plain /login
      // stays (someone may mean to log in as another user).
      const signedIn = mayGoOnWithHeldSession() ? await whereTheBrowserIs() : null;
      if (signedIn?.step === 'done') goingOnWithHeldSession();
      const state = signedIn?.step === 'done' ? signedIn : await api.login.current();
      if (state.step === 'done') finish(state.redirectTo);
      else setFlow(state);
    } catch (error) {
      setLoadError(error instanceof ApiError ? error.message : 'Something went wrong.');
    }
  }, [finish]);

  useEffect(() => {
    void load();
  }, [load]);

  // The handed-over notice is kept in state above; clearing the history entry stops a
  // reload from showing it again.
  useEffect(() => {
    if (location.state) navigate({ pathname: location.pathname, search: location.search }, { replace: true, state: null });
  }, [location.state, location.pathname, location.search, navigate]);

  // Going back to the first step keeps what was typed, so a typo is quick to fix.
  const backToIdentify = (current: LoginState | null): LoginState => ({
    step: 'identify',
    username: current?.username,
    companyName: current?.companyName,
  });

  const onExpired = useCallback(
    (message: string, code: string) => {
      const warn = () => setNotice({ tone: 'warning', message });
      if (!FOLLOWS_THE_BROWSER.has(code)) {
        warn();
        return setFlow(backToIdentify);
      }
      // Another tab, or a twin of this page's own request, may have moved the browser's
      // login on: a login under way (a new one there, or this one past the step shown
      // here, as when a twin spent the same mailed code first) is shown here, a new one
      // with the message; a finished one signed this browser in, so this page goes on too.
      // With no login under way (this page's own delay ended it), back to the first step.
      void whereTheBrowserIs().then((state) => {
        if (state?.step === 'done') return finish(state.redirectTo);
        if (state) {
          if (code === 'login.restarted') warn();
          return setFlow(state);
        }
        warn();
        setFlow(backToIdentify);
      });
    },
    [finish],
  );

  const onRestart = useCallback(async () => {
    setNotice(null);
    try {
      await api.login.restart();
    } catch {
      // The server starts a new flow on the next identify anyway.
    }
    setFlow(backToIdentify);
  }, []);

  const onForgot = useCallback((what: Forgot) => {
    setNotice(null);
    setForgot(what);
  }, []);

  const stepProps = flow && !forgot ? { flow, onAdvance: advance, onExpired, onRestart: () => void onRestart(), onForgot } : null;
  const wide = flow?.step === 'enroll';

  return (
    <AuthCard width={wide ? 'md' : 'sm'}>
      <Stack gap="md">
        {notice && (
          <Alert
            color={notice.tone === 'success' ? 'teal' : 'yellow'}
            variant="light"
            role={notice.tone === 'success' ? 'status' : 'alert'}
          >
            {notice.message}
          </Alert>
        )}
        {loadError && (
          <>
            <ErrorAlert message={loadError} />
            <Group>
              <Button variant="default" onClick={() => void load()}>
                Try again
              </Button>
            </Group>
          </>
        )}
        {!flow && !loadError && <LoadingState />}
        {forgot === 'password' && (
          <ForgotPassword
            initialUsername={flow?.username ?? handover.username}
            initialCompanyName={flow?.companyName ?? handover.companyName}
            onBack={() => setForgot(null)}
          />
        )}
        {forgot === 'company' && <ForgotCompany onBack={() => setForgot(null)} />}
        {stepProps?.flow.step === 'identify' && (
          <IdentifyStep {...stepProps} initialUsername={handover.username} initialCompanyName={handover.companyName} />
        )}
        {stepProps?.flow.step === 'password' && <PasswordStep {...stepProps} />}
        {stepProps?.flow.step === 'sso' && <SsoStep {...stepProps} />}
        {stepProps?.flow.step === 'sso_trusted' && <SsoTrustedStep {...stepProps} />}
        {stepProps?.flow.step === 'totp' && <TotpStep {...stepProps} />}
        {stepProps?.flow.step === 'mail_code' && <MailCodeStep {...stepProps} />}
        {stepProps?.flow.step === 'enroll' && <EnrollStep {...stepProps} onFinish={finish} />}
        {stepProps?.flow.step === 'key_enroll' && <KeyEnrollStep {...stepProps} />}
      </Stack>
    </AuthCard>
  );
}

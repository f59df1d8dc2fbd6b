import { api } from '../../api';
import { LinkUnusable } from '../../components/LinkUnusable';
import { NewPasswordPage } from '../../components/newPassword/NewPasswordPage';

export const PASSWORD_SET_NOTICE = 'Your password is set. Log in to continue.';

/** The link in the welcome email: Set Your Password. */
export function SignupPage() {
  return (
    <NewPasswordPage
      title="Set Your Password"
      intro="Choose a strong password for your account. You will use it with your username and company name to log in."
      loadingLabel="Checking your Sign Up link…"
      loadLink={api.signupLink}
      submit={api.setPassword}
      notice={PASSWORD_SET_NOTICE}
      unusable={<LinkUnusable link="signup" />}
      markRequired
    />
  );
}

import { recoveryApi } from '../../api/recovery';
import { NewPasswordPage } from '../../components/newPassword/NewPasswordPage';
import { LinkUnusable } from '../../components/LinkUnusable';

// The reset signs nobody in: the second factor is still asked for at the login.
export const PASSWORD_RESET_NOTICE =
  'Your password is reset and you were signed out everywhere. Log in with the new password; you still need the code from your authenticator app (or a recovery code).';

/** The link in the "Reset your Gatehouse password" email: like Set Your Password. */
export function ResetPasswordPage() {
  return (
    <NewPasswordPage
      title="Reset Your Password"
      intro="Choose a new password. Every session of this account ends, and you log in again with the new password and the code from your authenticator app."
      loadingLabel="Checking your reset link…"
      loadLink={recoveryApi.resetLink}
      submit={recoveryApi.resetPassword}
      notice={PASSWORD_RESET_NOTICE}
      unusable={<LinkUnusable link="reset" />}
    />
  );
}

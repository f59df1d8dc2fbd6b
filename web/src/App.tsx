import { BrowserRouter, Route, Routes } from 'react-router';
import { StepUpProvider } from './components/StepUpProvider';
import { CompanyPage } from './pages/company/CompanyPage';
import { DashboardPage } from './pages/DashboardPage';
import { LoginPage } from './pages/login/LoginPage';
import { NotFoundPage } from './pages/NotFoundPage';
import { OperatorPage } from './pages/operator/OperatorPage';
import { CancelEmailPage } from './pages/recovery/CancelEmailPage';
import { ConfirmEmailPage } from './pages/recovery/ConfirmEmailPage';
import { ResetPasswordPage } from './pages/recovery/ResetPasswordPage';
import { RequestAccountPage } from './pages/RequestAccountPage';
import { SettingsPage } from './pages/settings/SettingsPage';
import { SignupPage } from './pages/signup/SignupPage';
import { SignedInLayout } from './session';

export function App() {
  return (
    <BrowserRouter>
      <Routes>
        {/* The signed-in pages share one layout, which loads the session once for all of them. */}
        <Route element={<SignedInLayout />}>
          <Route path="/" element={<DashboardPage />} />
          <Route path="/operator" element={<OperatorPage />} />
          <Route path="/company" element={<CompanyPage />} />
          <Route path="/settings" element={<SettingsPage />} />
        </Route>
        <Route path="/login" element={<LoginPage />} />
        <Route path="/request-account" element={<RequestAccountPage />} />
        <Route path="/signup/:token" element={<SignupPage />} />
        {/* The paths the server's emails link to (src/users/password-reset.ts, email-change.ts). */}
        <Route path="/reset-password/:token" element={<ResetPasswordPage />} />
        <Route path="/confirm-email/:token" element={<ConfirmEmailPage />} />
        <Route path="/cancel-email/:token" element={<CancelEmailPage />} />
        <Route path="*" element={<NotFoundPage />} />
      </Routes>
      {/* One "Confirm it's you" for every page: a change refused with reauth.required waits on it (api.ts). */}
      <StepUpProvider />
    </BrowserRouter>
  );
}

import { BrowserRouter, Route, Routes } from 'react-router';
import { DashboardPage } from './pages/DashboardPage';
import { LoginPage } from './pages/login/LoginPage';
import { NotFoundPage } from './pages/NotFoundPage';
import { OperatorPage } from './pages/operator/OperatorPage';
import { RequestAccountPage } from './pages/RequestAccountPage';
import { SignupPage } from './pages/signup/SignupPage';

export function App() {
  return (
    <BrowserRouter>
      <Routes>
        <Route path="/" element={<DashboardPage />} />
        <Route path="/login" element={<LoginPage />} />
        <Route path="/request-account" element={<RequestAccountPage />} />
        <Route path="/signup/:token" element={<SignupPage />} />
        <Route path="/operator" element={<OperatorPage />} />
        <Route path="*" element={<NotFoundPage />} />
      </Routes>
    </BrowserRouter>
  );
}

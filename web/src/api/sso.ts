// Single sign-on for a company's Masters (docs/SSO.md): its identity providers, the mode
// and break-glass users, and Test sign-in.
import { get, post, postIfUnchanged, postOnce, seg } from '../api';

export type { SsoMode, SsoOverview, SsoProvider, SsoProviderInput, SsoTestResult } from '@contract';
import type { SsoMode, SsoOverview, SsoProvider, SsoProviderInput, SsoTestResult } from '@contract';

export const ssoApi = {
  overview: () => get<SsoOverview>('/company/sso'),
  saveSettings: (change: { mode?: SsoMode; breakGlassUserIds?: string[] }, readAt: string) => postIfUnchanged<SsoOverview>('/company/sso', readAt, change),
  /** `idempotencyKey`: the submission's (useSubmissionKey), so a retry after a lost answer is answered the provider added, not refused as a clash with it. */
  add: (input: SsoProviderInput, idempotencyKey: string) => postOnce<{ provider: SsoProvider }>('/company/sso/providers', input, idempotencyKey),
  edit: (id: string, input: SsoProviderInput, readAt: string) => postIfUnchanged<{ provider: SsoProvider }>(`/company/sso/providers/${seg(id)}`, readAt, input),
  remove: (id: string) => post<Record<string, never>>(`/company/sso/providers/${seg(id)}/delete`),
  setEnabled: (id: string, enabled: boolean) => post<{ provider: SsoProvider }>(`/company/sso/providers/${seg(id)}/enabled`, { enabled }),
  test: (id: string) => post<{ testId: string; redirectTo: string }>(`/company/sso/providers/${seg(id)}/test`),
  testResult: (id: string, testId: string) => get<SsoTestResult>(`/company/sso/providers/${seg(id)}/test/${seg(testId)}`),
};

// The one door to the server's JSON API (docs/API.md). Pages never call fetch themselves.
import { retryAfterSeconds, waitEnds } from './format';
import { tellOtherTabs } from './session/tabsChannel';
import { typedInputOnPage } from './session/typedInput';

export type FieldErrors = Record<string, string>;

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly fields: FieldErrors;
  /** A refusal's Retry-After in seconds (a 429 that says how long to wait), when it has one. */
  readonly retryAfterSeconds?: number;

  constructor(status: number, code: string, message: string, fields: FieldErrors = {}, retryAfterSeconds?: number) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.fields = fields;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

const NETWORK_MESSAGE = 'Gatehouse could not be reached. Check your connection and try again.';
// A change whose answer never came may have been done all the same (the connection dropped
// on the way back): the page says so, and shows what Gatehouse has now (answerLost).
const CHANGE_UNANSWERED_MESSAGE =
  'No answer came from Gatehouse, so this may have gone through: the page now shows what Gatehouse has. Check your connection and try again.';

// --- what this page shows: one browser, one session cookie and one login cookie, many tabs ---

// The user this page shows (from GET /api/me) and the login it is on (loginId, from the
// login's answers) go with every call: when another tab has logged in as someone else, or
// started another login, the server refuses the call (409 session.changed, login.restarted)
// instead of answering for the other account under this page's header.
let shownUser: string | null = null;
let shownLogin: string | null = null;

/** The page now shows the login `state` names (none: a page at the first step). */
function showLogin<T extends { loginId?: string }>(state: T): T {
  shownLogin = state.loginId ?? null;
  return state;
}

/** The page no longer shows a login (a new one starts, without a loginId yet). */
export function forgetShownLogin(): void {
  shownLogin = null;
}

/** The page no longer shows a signed-in user (signed out, or on the login page). */
export function forgetShownUser(): void {
  shownUser = null;
}

// What a signed-in page does when the server says the session is gone, or that the user
// may no longer do something (their role changed while the page was open).
let accessChanged: (() => void) | null = null;

/** Installs what refreshes the signed-in user (the app's layout: GET /api/me again); returns the uninstall. */
export function setAccessChangedHandler(handler: () => void): () => void {
  accessChanged = handler;
  return () => {
    if (accessChanged === handler) accessChanged = null;
  };
}

// What a signed-in page does when a change's answer was lost: show what the server has now.
let answerLost: (() => void) | null = null;

/** Installs what refreshes the page's data after a change went unanswered; returns the uninstall. */
export function setAnswerLostHandler(handler: () => void): () => void {
  answerLost = handler;
  return () => {
    if (answerLost === handler) answerLost = null;
  };
}

/**
 * What the login page is told by a page sent there (`?ended=1&unsaved=1&next=`): the session
 * ended under the page, a change or typed input went with it, and the page to return to.
 */
export const SESSION_ENDED_PARAM = 'ended';
export const UNSAVED_CHANGE_PARAM = 'unsaved';
export const NEXT_PAGE_PARAM = 'next';

/**
 * The login page for a page at `here` (path and query) without a session: back there after
 * the login (the login page checks `next` again: one of this app's own pages, nothing else).
 */
export function loginPageFor(here: string, { ended = false, unsaved = false } = {}): string {
  const query = new URLSearchParams();
  if (ended) query.set(SESSION_ENDED_PARAM, '1');
  if (unsaved) query.set(UNSAVED_CHANGE_PARAM, '1');
  if (here !== '/') query.set(NEXT_PAGE_PARAM, here);
  const text = query.toString();
  return text ? `/login?${text}` : '/login';
}

/** A new Idempotency-Key (docs/API.md): random, so no two submissions share one. */
export function newIdempotencyKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

function shownHeaders(): Record<string, string> {
  return {
    ...(shownUser ? { 'X-Gatehouse-User': shownUser } : {}),
    ...(shownLogin ? { 'X-Gatehouse-Login': shownLogin } : {}),
  };
}

function errorFrom(status: number, body: unknown, retryAfter: string | null): ApiError {
  const error = (body as { error?: { code?: unknown; message?: unknown; fields?: unknown } } | null)?.error;
  if (error && typeof error.code === 'string' && typeof error.message === 'string') {
    const fields = error.fields && typeof error.fields === 'object' ? (error.fields as FieldErrors) : {};
    // A lock says when it ends (each one since the last login lasts longer): "It ends in 30 minutes."
    const ends = error.code === 'account.locked' ? waitEnds(retryAfter) : undefined;
    return new ApiError(status, error.code, ends ? `${error.message} It ends ${ends}.` : error.message, fields, retryAfterSeconds(retryAfter));
  }
  // A proxy or crash page rather than Gatehouse's own error shape.
  return new ApiError(status, `http.${status}`, `Something went wrong (HTTP ${status}). Try again in a moment.`);
}

// --- step-up: "confirm it is you" before a sensitive change (docs/API.md) ---

/**
 * Asks the user to prove it is them (the app's StepUpProvider shows the dialog and sends
 * POST /api/me/reauth). Resolves true once the session is proved, false if the user
 * cancelled. Registered by the provider; null while nothing can ask (then the error stands).
 */
export type ReauthPrompt = (refused: ApiError) => Promise<boolean>;

let reauthPrompt: ReauthPrompt | null = null;
// Several calls refused together (a page saving two things) share one dialog and one answer.
let pendingReauth: Promise<boolean> | null = null;

/** Installs the app's one "Confirm it's you" dialog; returns the uninstall. */
export function setReauthPrompt(prompt: ReauthPrompt): () => void {
  reauthPrompt = prompt;
  return () => {
    if (reauthPrompt === prompt) reauthPrompt = null;
  };
}

function askReauth(refused: ApiError): Promise<boolean> {
  const prompt = reauthPrompt;
  if (!prompt) return Promise.resolve(false);
  if (!pendingReauth) {
    pendingReauth = prompt(refused)
      .catch(() => false)
      .finally(() => {
        pendingReauth = null;
      });
  }
  return pendingReauth;
}

/**
 * The one place the step-up rule lives for the whole console: a sensitive route answers 403
 * `reauth.required` when the session was not proved lately. Rather than every page handling
 * it, the call waits while the user confirms it is them, then is sent again ONCE and its
 * caller gets that answer (even a second refusal: no loop); cancelled, the original error.
 */
async function request<T>(method: 'GET' | 'POST', path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
  try {
    return await send<T>(method, path, body, headers);
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 403 || error.code !== 'reauth.required') throw error;
    // The proof's own calls (/me/reauth, its key options) never wait on the dialog they serve.
    if (path.startsWith('/me/reauth')) throw error;
    if (!(await askReauth(error))) throw error;
    return send<T>(method, path, body, headers);
  }
}

async function send<T>(method: 'GET' | 'POST', path: string, body: unknown, headers: Record<string, string>): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`/api${path}`, {
      method,
      credentials: 'same-origin',
      cache: 'no-store',
      headers: { ...headers, ...shownHeaders(), ...(method === 'POST' ? { 'Content-Type': 'application/json', Accept: 'application/json' } : { Accept: 'application/json' }) },
      body: method === 'POST' ? JSON.stringify(body ?? {}) : undefined,
    });
  } catch {
    // A signed-in page's change may have reached Gatehouse and only its answer been lost.
    if (method === 'GET' || !shownUser) throw new ApiError(0, 'network.unreachable', NETWORK_MESSAGE);
    answerLost?.();
    throw new ApiError(0, 'network.unreachable', CHANGE_UNANSWERED_MESSAGE);
  }
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (!response.ok) {
    const error = errorFrom(response.status, parsed, response.headers.get('retry-after'));
    // Another account's session is this browser's now: the page starts again as that
    // user (or at the login page), showing nothing more of the one it was opened for.
    if (error.code === 'session.changed') window.location.reload();
    // A save (or any call) of a signed-in page whose session has ended: the login page,
    // saying why (and that the change was not saved), and back to this page after the
    // login. Page loads did so already; a refused save left the page up with every form
    // still live. Log Out is no change: its end is the one asked for.
    else if (error.code === 'session.required' && shownUser) endedSession({ refusedChange: method !== 'GET' && path !== '/logout' });
    // Refused for the user's role: it may have changed under the page; its header and links follow.
    else if (error.code === 'auth.forbidden' && shownUser) accessChanged?.();
    throw error;
  }
  return (parsed ?? {}) as T;
}

/** Where the browser's login stands (GET /api/login); the page shows that login from then on. */
export const currentLogin = async () => showLogin(await request<LoginState>('GET', '/login'));

/**
 * The page's session has ended (or is another's): to the login page, saying so, and back to
 * this page after. A full page load, so nothing of the ended session stays in memory: a
 * change it refused, or input typed in a form on the page, is lost with it, and the login
 * page says that it was not saved (never what it was: the computer may be shared).
 */
export function endedSession({ refusedChange = false } = {}): void {
  shownUser = null;
  const here = `${window.location.pathname}${window.location.search}`;
  window.location.assign(loginPageFor(here, { ended: true, unsaved: refusedChange || typedInputOnPage() }));
}

// Shared with the feature clients in api/ (admin, audit, me, …), so there is one door still.
export const get = <T>(path: string) => request<T>('GET', path);
export const post = <T>(path: string, body: unknown = {}) => request<T>('POST', path, body);
/**
 * A save of settings the form read at `version` (their answer's `version`): refused with 412
 * request.changed_meanwhile if someone else saved them since, rather than undoing their change.
 */
export const postIfUnchanged = <T>(path: string, version: string, body: unknown) => request<T>('POST', path, body, { 'If-Match': `"${version}"` });
/**
 * A create sent with an Idempotency-Key (newIdempotencyKey; one per submission of the same
 * values, useApiForm): sent again after its answer was lost, it is answered the first
 * result rather than done twice or refused as a clash with what it made (docs/API.md).
 */
export const postOnce = <T>(path: string, body: unknown, idempotencyKey?: string) =>
  request<T>('POST', path, body, idempotencyKey ? { 'Idempotency-Key': idempotencyKey } : {});
export const seg = encodeURIComponent;

// --- downloads: plain links, which a navigation sends without this page's headers ---

/**
 * A download's URL (`/api${path}` with `params` left out when blank), naming the user this
 * page shows in SHOWN_USER_PARAM: the server refuses it, like the header, once the
 * browser's session is another user's (409 session.changed, docs/SECURITY.md).
 */
export function downloadUrl(path: string, params: Record<string, string | undefined> = {}): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value?.trim()) query.set(key, value.trim());
  if (shownUser) query.set(SHOWN_USER_PARAM, shownUser);
  const search = query.toString();
  return `/api${path}${search ? `?${search}` : ''}`;
}

/**
 * Whether this page's user is still the browser's, asked before a download starts: a refused
 * link would leave only the browser's "download failed". Refused, `request` has already
 * reloaded the page as the browser's user (or gone to the login page).
 */
export async function stillShownUser(): Promise<boolean> {
  try {
    await get<Me>('/me');
    return true;
  } catch {
    return false;
  }
}

// --- shapes ---

// The answers' types come from the server's own schemas (src/contract/types.ts), as do
// the password rule's.
export type * from '@contract';
import { MAX_PAGE, SHOWN_USER_PARAM } from '@contract';
import type {
  AccountRequestInput,
  AccountRequestPage,
  CompanyModule,
  CompanyPage,
  CompanySummary,
  Enrollment,
  GrantedModule,
  LauncherModule,
  LoginState,
  MailMessage,
  MailSummary,
  Me,
  ModuleInput,
  RegisteredModule,
  RequestStatus,
  SignupLink,
} from '@contract';


export type RequestFilter = RequestStatus | 'all';
export type MailFilter = MailSummary['status'] | 'all';

/** `?a=…&b=…` with only the parameters that have a value (a search is trimmed first). */
function listQuery(params: Record<string, string | null>): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value?.trim()) query.set(key, value.trim());
  const text = query.toString();
  return text ? `?${text}` : '';
}

export type ClientType = 'confidential' | 'public';

/** How Gatehouse signs a module's ID tokens. */
export type IdTokenAlg = 'RS256' | 'ES256';

// --- endpoints ---

export const api = {
  /** `idempotencyKey`: the submission's (useApiForm), so a retry after a lost answer is answered "sent", not refused as a name taken. */
  requestAccount: (input: AccountRequestInput, idempotencyKey?: string) =>
    postOnce<{ id: string; status: RequestStatus }>('/account-requests', input, idempotencyKey),

  signupLink: (token: string) => get<SignupLink>(`/signup/${seg(token)}`),
  setPassword: (token: string, password: string, confirm: string) =>
    post<{ next: string }>('/signup', { token, password, confirm }),

  login: {
    current: () => currentLogin(),
    identify: async (username: string, companyName: string, returnTo?: string) => {
      forgetShownLogin();
      return showLogin(await post<LoginState>('/login/identify', returnTo ? { username, companyName, returnTo } : { username, companyName }));
    },
    password: (password: string) => post<LoginState>('/login/password', { password }),
    totp: (code: string) => post<LoginState>('/login/totp', { code }),
    enrollStart: () => post<Enrollment>('/login/enroll/start'),
    /** `recoveryCodes` are shown this once, in the Success dialog. */
    enrollVerify: (code: string) => post<LoginState & { recoveryCodes?: string[] }>('/login/enroll/verify', { code }),
    /**
     * After someone else reset the user's 2FA (step mail_code): mails them a code; `sentTo`
     * is the address masked. 429 login.enrollment_code_wait (with Retry-After) while the last is new.
     */
    mailCode: () => post<{ sentTo: string; resendAfterSeconds: number }>('/login/enroll/mail-code'),
    /** The mailed code: the login goes on to enrollment (`step: 'enroll'`). */
    mailCodeVerify: (code: string) => post<LoginState>('/login/enroll/mail-code/verify', { code }),
    /** Refused (login.restarted) when another tab's login is the browser's now: that one is left alone. */
    restart: () => post<LoginState>('/login/restart').finally(forgetShownLogin),
    /** Single sign-on: where the company's identity provider is; "Use password instead"; finish after trusted MFA. */
    ssoStart: () => post<{ redirectTo: string }>('/login/sso/start'),
    ssoPassword: () => post<LoginState>('/login/sso/password'),
    ssoFinish: () => post<LoginState>('/login/sso/finish'),
  },
  /** Log Out; this browser's other tabs are told, and leave what they show (session/useSessionWatch.ts). */
  logout: async () => {
    const done = await post<Record<string, never>>('/logout');
    tellOtherTabs({ kind: 'signed-out' });
    return done;
  },

  me: async () => {
    const me = await get<Me>('/me');
    shownUser = me.user.id;
    return me;
  },
  /**
   * Looks whether this page's session is still live, without using it (a page left open
   * must not keep an idle session alive): 401 takes the page to the login page, 409 reloads
   * it as the browser's user; an answer says how long the session has left.
   */
  lookAtSession: () => request<Me>('GET', '/me', undefined, { 'X-Gatehouse-Look-Only': '1' }),

  modules: () => get<{ modules: LauncherModule[] }>('/modules'),

  company: {
    modules: () => get<{ modules: CompanyModule[] }>('/company/modules'),
    setModuleEnabled: (moduleId: string, enabled: boolean) =>
      post<Record<string, never>>(`/company/modules/${seg(moduleId)}`, { enabled }),
  },

  operator: {
    /** A page of requests: `q` is in the company name or the contact's email; `cursor` is the previous page's nextCursor. */
    requests: (status: RequestFilter, q: string, cursor: string | null) =>
      get<AccountRequestPage>(`/operator/requests${listQuery({ status, q, cursor })}`),
    /** `idempotencyKey`: the submission's (useApiForm), so a retry after a lost answer is answered, not refused as taken. */
    createRequest: (input: AccountRequestInput, idempotencyKey?: string) =>
      postOnce<{ id: string; status: RequestStatus }>('/operator/requests', input, idempotencyKey),
    approve: (id: string, username: string) =>
      post<{ companyId: string; username: string }>(`/operator/requests/${seg(id)}/approve`, username ? { username } : {}),
    reject: (id: string, reason: string) => post<Record<string, never>>(`/operator/requests/${seg(id)}/reject`, { reason }),
    /** A page of companies, newest first: `q` is in the name. */
    companyPage: (q: string, cursor: string | null) => get<CompanyPage>(`/operator/companies${listQuery({ q, cursor })}`),
    /** Every company, all pages read (the pickers of the audit log, compliance and API clients). */
    companies: async () => {
      const companies: CompanySummary[] = [];
      let cursor: string | null = null;
      do {
        const page: CompanyPage = await get<CompanyPage>(`/operator/companies${listQuery({ limit: String(MAX_PAGE), cursor })}`);
        companies.push(...page.companies);
        cursor = page.nextCursor;
      } while (cursor);
      return { companies };
    },
    resendWelcome: (companyId: string) =>
      post<Record<string, never>>(`/operator/companies/${seg(companyId)}/resend-welcome`),
    suspendCompany: (companyId: string) => post<Record<string, never>>(`/operator/companies/${seg(companyId)}/suspend`),
    reactivateCompany: (companyId: string) => post<Record<string, never>>(`/operator/companies/${seg(companyId)}/reactivate`),
    /** The 200 newest messages, or the 200 newest of one status (a failed one however old). */
    mail: (status: MailFilter = 'all') =>
      get<{ messages: MailSummary[] }>(`/operator/mail${listQuery({ status: status === 'all' ? null : status })}`),
    mailMessage: (id: string) => get<MailMessage>(`/operator/mail/${seg(id)}`),
    modules: () => get<{ modules: RegisteredModule[] }>('/operator/modules'),
    /** `clientSecret` null: a public module, or a repeat of the key whose first answer (with the secret) was lost. */
    registerModule: (input: ModuleInput, idempotencyKey?: string) =>
      postOnce<{ module: RegisteredModule; clientSecret: string | null }>('/operator/modules', input, idempotencyKey),
    module: (moduleId: string) => get<{ module: RegisteredModule }>(`/operator/modules/${seg(moduleId)}`),
    /** Saved only if the module is still at `readAt` (its version when the form was opened): else 412. */
    editModule: (moduleId: string, input: ModuleInput, readAt: string) =>
      postIfUnchanged<{ module: RegisteredModule }>(`/operator/modules/${seg(moduleId)}`, readAt, input),
    rotateSecret: (moduleId: string) =>
      post<{ clientSecret: string }>(`/operator/modules/${seg(moduleId)}/rotate-secret`),
    companyModules: (companyId: string) =>
      get<{ modules: GrantedModule[] }>(`/operator/companies/${seg(companyId)}/modules`),
    grantModule: (companyId: string, moduleId: string) =>
      post<Record<string, never>>(`/operator/companies/${seg(companyId)}/modules/${seg(moduleId)}/grant`),
    revokeModule: (companyId: string, moduleId: string) =>
      post<Record<string, never>>(`/operator/companies/${seg(companyId)}/modules/${seg(moduleId)}/revoke`),
  },
};

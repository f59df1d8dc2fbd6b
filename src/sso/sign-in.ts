// Signing in through a company's provider, start to finish. Start: a request bound to
// the browser's login flow (or to the Master's session, for Test sign-in) is stored and
// the browser is sent to the provider. Back: the answer is verified, the request taken
// once, and, in one transaction, the user found or created just in time and the login
// flow moved on to Gatehouse's own second factor (or, when the company trusts the
// provider's MFA and the answer proves it, to the last call that mints the session).
import { recordAudit } from '../audit/index.ts';
import { getCompanyPolicy, ipAllowed, isPlatformCompany } from '../companies/index.ts';
import { GatehouseError } from '../errors.ts';
import { activeProvider, auditProviderLogin, continueAfterProvider, flowAwaitingProvider, holdFlowForProvider, providerMfaMayStandIn } from '../login/index.ts';
import type { CoreDeps, RequestMeta } from '../shared/deps.ts';
import type { Queryable } from '../storage/index.ts';
import { constantTimeEqual } from '../crypto/index.ts';
import { email as emailRule, name as nameRule, username as usernameRule } from '../contract/index.ts';
import { caseFolded, tidyName } from '../shared/text.ts';
import { assertStillMaster, changeUserEmail, createUser, findUserByUsername, invitationStands, queueSecurityNotice, sessionStands, type UserRow } from '../users/index.ts';
import { oidcIdentity, samlIdentity, withoutSurroundingSpace, type ProviderIdentity } from './identity.ts';
import { oidcAuthorization, oidcClaims, requestIdOfState } from './oidc.ts';
import { certificatesOf, getProvider, secretContext, type Master, type ProviderRow } from './providers.ts';
import { consumeRequest, rememberAssertion, saveRequest, storeTestResult, takenRequestStands, type SsoRequest } from './requests.ts';
import { claimedInResponseTo, newSamlRequestId, samlAuthorization, verifySamlResponse } from './saml.ts';
import { serviceProviderUrls } from './urls.ts';
import { replaceMembershipsByGroupNames } from '../groups/index.ts';
import { recordAnonymousRefusal, requireAnonymousWrite } from '../shared/anonymous-writes.ts';

type Purpose = { purpose: 'login'; flowHash: string } | { purpose: 'test'; sessionHash: string };

const idpOf = (row: ProviderRow) => ({ entityId: row.saml_entity_id ?? '', ssoUrl: row.saml_sso_url ?? '', certificates: certificatesOf(row) });
const oidcOf = (deps: CoreDeps, row: ProviderRow) => ({
  issuer: row.oidc_issuer ?? '',
  clientId: row.oidc_client_id ?? '',
  clientSecret: row.oidc_client_secret ? deps.secrets.decrypt(row.oidc_client_secret, secretContext(row.id)) : '',
  privateNetworks: deps.config.ssoPrivateNetworks,
});

async function sendToProvider(deps: CoreDeps, provider: ProviderRow, why: Purpose): Promise<{ requestId: string; redirectTo: string }> {
  const sp = serviceProviderUrls(deps.config.publicUrl, provider.company_id);
  const binding = {
    company_id: provider.company_id,
    provider_id: provider.id,
    purpose: why.purpose,
    flow_hash: why.purpose === 'login' ? why.flowHash : null,
    session_hash: why.purpose === 'test' ? why.sessionHash : null,
  };
  if (provider.kind === 'saml') {
    const requestId = newSamlRequestId();
    const redirectTo = await samlAuthorization(idpOf(provider), sp, requestId);
    await saveRequest(deps.db, { id: requestId, ...binding, nonce: null, code_verifier: null }, deps.clock());
    return { requestId, redirectTo };
  }
  const start = await oidcAuthorization(oidcOf(deps, provider), sp.oidcRedirectUri);
  await saveRequest(
    deps.db,
    { id: start.requestId, ...binding, nonce: start.nonce, code_verifier: deps.secrets.encrypt(start.codeVerifier, `sso-pkce:${start.requestId}`) },
    deps.clock(),
  );
  return { requestId: start.requestId, redirectTo: start.redirectTo };
}

/**
 * "Continue": the login flow at the 'sso' step goes to the company's provider. Anyone who
 * named the company has such a flow, so a client network may start only so many requests,
 * and a flow keeps only its latest: the request it made before is written over, in the
 * one statement that stores the new one (saveRequest), so Continues racing for one flow
 * leave it one request too. An answer to one written over is refused as answering no
 * pending request; the browser's Continue again (after the back button) starts afresh.
 */
export async function startSsoLogin(deps: CoreDeps, flowToken: string | undefined, meta: RequestMeta) {
  const flow = await flowAwaitingProvider(deps, flowToken);
  const on = await activeProvider(deps.db, flow.company_id);
  if (!on) throw new GatehouseError('sso.not_offered');
  const provider = await getProvider(deps.db, flow.company_id, on.id);
  if (!provider) throw new GatehouseError('sso.not_offered');
  await requireAnonymousWrite(deps.db, 'ssoStarts', meta.ip, deps.clock());
  const { redirectTo } = await sendToProvider(deps, provider, { purpose: 'login', flowHash: flow.id_hash });
  return { redirectTo };
}

/** "Test sign-in": the round trip for a Master, before the provider is switched on. */
export async function startSsoTest(deps: CoreDeps, who: Master & { sessionHash: string }, providerId: string) {
  const provider = await getProvider(deps.db, who.companyId, providerId);
  if (!provider) throw new GatehouseError('request.not_found');
  const { requestId, redirectTo } = await sendToProvider(deps, provider, { purpose: 'test', sessionHash: who.sessionHash });
  return { testId: requestId, redirectTo };
}

/**
 * Where the browser goes once the provider has answered. `flowToken`: the login flow's new
 * name (renamed past the provider's proof, src/login/flows.ts moveFlowPastProof), for the
 * redirect to set as the flow cookie.
 */
export type Landing = { to: 'login'; failed: boolean; flowToken?: string; why?: 'company_full' } | { to: 'test'; providerId: string; testId: string };

/**
 * Why a sign-in made no user: the company holds GATEHOUSE_USERS_PER_COMPANY already
 * (createUser). Its own landing, so the login page tells the person to ask their Master
 * rather than to try again; the audit event says it to the Master.
 */
const COMPANY_FULL = 'the company holds as many users as it may hold (GATEHOUSE_USERS_PER_COMPANY): no user was created for this username';

async function refuse(deps: CoreDeps, companyId: string, request: SsoRequest | undefined, reason: string, meta: RequestMeta): Promise<Landing> {
  // An answer for no request may name no company at all: audit only a real one.
  const known = request ?? (await deps.db.selectFrom('companies').select('id').where('id', '=', companyId).executeTakeFirst());
  // Anyone can bring an answer to a sign-in (or to none): such refusals go into the
  // company's trail up to the network's cap (anonymous-writes.ts). A test is a Master's.
  const record = request?.purpose === 'test' ? recordAudit : recordAnonymousRefusal;
  if (known) await record(deps.db, deps.clock(), {
    companyId,
    actorId: null,
    action: request?.purpose === 'test' ? 'sso.test_failed' : 'sso.login_failed',
    target: request?.provider_id ?? null,
    ip: meta.ip,
    userAgent: meta.userAgent,
    detail: { reason: reason.slice(0, 300), ...(request ? { provider: request.provider_id } : {}) },
  });
  if (request?.purpose === 'test') {
    await storeTestResult(deps.db, request.id, { status: 'failed', reason: reason.slice(0, 300) });
    return { to: 'test', providerId: request.provider_id, testId: request.id };
  }
  return { to: 'login', failed: true };
}

const reasonOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * A name in small letters, each character by its one case partner ("CAROL" is carol, "ẞ"
 * ß, "Σ" and "ς" σ), never spelled out as several: full case folding writes "ß" as "ss",
 * and at the provider "straße" and "strasse" are two people. Dotless "ı" stays itself
 * (caseFolded).
 */
const smallLetters = (name: string) =>
  Array.from(name.normalize('NFC'), (char) => {
    const folded = caseFolded(char);
    return [...folded].length === 1 ? folded : char.toLowerCase();
  }).join('');

/** One name, whatever its case (smallLetters): the provider's name for the user, not one the user's only looks like. */
const sameName = (a: string, b: string) => smallLetters(tidyName(a)) === smallLetters(tidyName(b));

/** Why a provider may not sign in this existing user, named `asserted` by it; undefined when it may. */
function refusalOf(existing: Pick<UserRow, 'status' | 'role' | 'username'>, asserted: string): string | undefined {
  if (existing.status === 'disabled') return 'the user is deactivated';
  if (existing.role === 'root_master') return 'a provider may not sign in the Root Master, who signs in with a Gatehouse password';
  // Names a person types are found by their look-alike key, so that "rооt" finds root at
  // the login page and can never be taken by another. Here the provider's name is the
  // proof of who signs in: it must be the user's own name (case aside), not a name that
  // only looks like it (a Cyrillic letter, an invisible one inside).
  if (!sameName(existing.username, asserted)) return `the provider's username "${asserted}" only looks like the user "${existing.username}"`;
  return undefined;
}

/** What the provider asserted, held to the rules of every other way in (src/contract). */
interface Claims {
  username: string;
  /** The address, or why the claim was refused; null when the provider sent none. */
  email: { ok: true; address: string } | { ok: false; problem: string } | null;
  /** Null when the claim breaks the display-name rule: the username or the stored name stands. */
  displayName: string | null;
}

const DISPLAY_NAME = nameRule('Display name', 100);
const firstIssue = (error: { issues: Array<{ message: string }> }) => error.issues[0]?.message ?? 'refused';

/**
 * The provider's claims as the forms would take them. The provider is the company's, but
 * its claims are typed by its users or admins (docs/SSO.md), and Gatehouse mails what it
 * stores: a username that is a sentence with a link would be repeated in a reset mail
 * anyone can ask for, and an "email" that is an address list ("a@x, b@y") would send the
 * reset link to both. A username the rule refuses signs nobody in (why, as a string).
 */
function checkedClaims(identity: ProviderIdentity): Claims | string {
  const username = usernameRule.safeParse(identity.username);
  if (!username.success) return `the provider's username is refused: ${firstIssue(username.error)}`;
  // The rule saves a name in its compatibility form (NFKC): typed at the login page,
  // "ａｄｍｉｎ" (fullwidth), "𝐚𝐝𝐦𝐢𝐧" or "ᵃᵈᵐⁱⁿ" is admin. From a provider the name is the
  // proof of who signed in, and at the provider those are other accounts than admin's
  // (anyone who may choose a name there could take admin's): it must be its saved form as
  // sent (up to canonical equivalence, which draws the same), never a name it folds to.
  if (username.data !== withoutSurroundingSpace(identity.username.normalize('NFC'))) {
    return `the provider's username "${identity.username}" is not written as a username is saved ("${username.data}")`;
  }
  const email = identity.email === '' ? null : emailRule.safeParse(identity.email);
  const displayName = DISPLAY_NAME.safeParse(identity.displayName);
  return {
    username: username.data,
    email: email === null ? null : email.success ? { ok: true, address: email.data } : { ok: false, problem: firstIssue(email.error) },
    displayName: displayName.success ? displayName.data : null,
  };
}

/** A user made just in time, as createUser makes every user; undefined past the company's total. */
async function createUserWithin(tx: Queryable, deps: CoreDeps, companyId: string, input: { username: string; email: string; displayName: string }, now: number) {
  try {
    return await createUser(tx, companyId, { ...input, role: 'user' }, now, deps.config.companyTotals.users);
  } catch (error) {
    if (error instanceof GatehouseError && error.code === 'user.too_many') return undefined;
    throw error;
  }
}

/**
 * The user the provider vouched for, created on first sign-in, refreshed later; or why
 * the provider may not sign them in. A new user needs one address or none; an existing
 * user's address stays as stored when the claim is not one address. Any Master sets a
 * provider up, and a Master may not act on the Root Master (docs/API.md): so no provider
 * signs the Root Master in or rewrites their name or email, whatever username it
 * asserts. The Root Master signs in with their Gatehouse password and 2FA, which
 * 'sso-only' never closes (login-subject.ts).
 */
async function provisionUser(tx: Queryable, deps: CoreDeps, provider: ProviderRow, claims: Claims, meta: RequestMeta) {
  const now = deps.clock();
  const companyId = provider.company_id;
  const existing = await findUserByUsername(tx, companyId, claims.username);
  const email = claims.email?.ok ? claims.email.address : '';
  const base = { companyId, ip: meta.ip, userAgent: meta.userAgent };
  if (!existing) {
    // The platform company's users are the operators, added on the server only.
    if (await isPlatformCompany(tx, companyId)) return 'a provider does not create operators: they are added on the server';
    if (claims.email?.ok === false) return `the provider's email is refused: ${claims.email.problem}`;
    const displayName = claims.displayName ?? claims.username;
    const created = await createUserWithin(tx, deps, companyId, { username: claims.username, email, displayName }, now);
    if (!created) return COMPANY_FULL;
    await tx.updateTable('users').set({ status: 'active', activated_at: now }).where('company_id', '=', companyId).where('id', '=', created.id).execute();
    await recordAudit(tx, now, { ...base, actorId: null, action: 'sso.user_provisioned', target: created.id, detail: { provider: provider.id, username: created.username, role: 'user' } });
    return { ...created, status: 'active' as const };
  }
  const refused = refusalOf(existing, claims.username);
  if (refused) return refused;
  // A break-glass user's account is Gatehouse's own, the way in when the provider cannot be
  // relied on: the provider may name them, but changes nothing of it (not the address
  // their password reset goes to, nor their name or groups).
  if (existing.sso_break_glass === 1) return existing;
  // An invited user is made one by the provider only while the invitation stands, as its
  // Sign Up link does: a Master deactivated, demoted or deleted (their session borrowed to
  // invite, say, a Master) leaves no invitation that still makes someone a user, and
  // another Master can invite them again.
  if (existing.status === 'invited' && !(await invitationStands(tx, companyId, existing.id, now))) {
    return 'the invitation no longer stands (whoever sent it may no longer invite): a Master can invite the user again';
  }
  const newEmail = email && email !== existing.email ? { email } : {};
  const displayName = claims.displayName ?? existing.display_name;
  const changes = {
    ...(displayName !== existing.display_name ? { display_name: displayName } : {}),
    ...(existing.status === 'invited' ? { status: 'active' as const } : {}),
  };
  // Taking up an invitation here is this user's sign-up (everActive): not a changed field.
  const activation = existing.status === 'invited' ? { activated_at: now } : {};
  // Through changeUserEmail, as a confirmed change in My Settings: what was mailed to the
  // old address (a reset link) stops working with it.
  if (newEmail.email) {
    await changeUserEmail(tx, { companyId, userId: existing.id }, newEmail.email, now, false);
    // The old address is told, as My Settings' change tells it: a provider set up with a
    // borrowed session could otherwise move a user's mail (resets, notices) away unseen.
    if (existing.email) await queueSecurityNotice(deps, tx, { companyId, userId: existing.id }, 'email_replaced_by_provider', undefined, existing.email);
  }
  if (Object.keys(changes).length > 0) await tx.updateTable('users').set({ ...changes, ...activation }).where('company_id', '=', companyId).where('id', '=', existing.id).execute();
  const fields = [...Object.keys(newEmail), ...Object.keys(changes)];
  if (fields.length > 0) {
    await recordAudit(tx, now, { ...base, actorId: existing.id, action: 'sso.user_updated', target: existing.id, detail: { provider: provider.id, fields } });
  }
  return { ...existing, ...newEmail, ...changes };
}

/**
 * The provider that vouched is the provider as it stands: still switched on, and not
 * changed since its settings were read to check the answer. An OpenID Connect answer is
 * checked after a round trip to the provider (the code redeemed), a SAML one after its
 * signature; a Master who switches the provider off meanwhile (its key leaked, another one
 * chosen) must not see it sign someone in afterwards. The row is locked (a write that
 * changes nothing): on PostgreSQL a switch-off, an edit or a removal then either commits
 * before (and this finds it) or waits for this sign-in, as if it came first.
 */
async function providerStillStands(tx: Queryable, provider: ProviderRow): Promise<boolean> {
  const held = await tx
    .updateTable('sso_providers')
    .set((eb) => ({ updated_at: eb.ref('updated_at') }))
    .where('company_id', '=', provider.company_id)
    .where('id', '=', provider.id)
    .where('enabled', '=', 1)
    .where('updated_at', '=', provider.updated_at)
    .executeTakeFirst();
  return Number(held.numUpdatedRows) === 1;
}

/**
 * The Master who started a Test sign-in, when the session it was started from still stands
 * and they are still an active Master: undefined otherwise. The answer comes back through
 * that session's browser (startedHere), but minutes later; a session ended meanwhile (its
 * owner signed out everywhere, a Master ended it) or a Master demoted since must not leave
 * the provider marked tested, the step that lets it be switched on. Their row is locked
 * first (assertStillMaster), the session read after it (sessionStands says why).
 */
async function testerStillSignedIn(tx: Queryable, companyId: string, sessionHash: string | null): Promise<string | undefined> {
  if (sessionHash === null) return undefined;
  const session = await tx.selectFrom('sessions').select('user_id').where('id_hash', '=', sessionHash).where('company_id', '=', companyId).executeTakeFirst();
  if (!session) return undefined;
  const me = { companyId, userId: session.user_id, sessionHash };
  try {
    await assertStillMaster(tx, me.userId, companyId);
    await sessionStands(tx, me);
  } catch (error) {
    if (error instanceof GatehouseError) return undefined;
    throw error;
  }
  return me.userId;
}

/** Takes the request and acts on the verified identity, in one transaction. */
async function vouch(
  deps: CoreDeps,
  provider: ProviderRow,
  request: SsoRequest,
  identity: ProviderIdentity,
  /** SAML: the assertion, remembered against replay. OIDC: null, the state was taken before the code was redeemed. */
  assertion: { id: string; expiresAt: number } | null,
  browser: AnsweringBrowser,
  meta: RequestMeta,
): Promise<Landing> {
  const now = deps.clock();
  // A Test sign-in fails as a real one would, so a provider is not switched on to refuse everyone.
  const claims = checkedClaims(identity);
  if (typeof claims === 'string') return refuse(deps, provider.company_id, request, claims, meta);
  // The request was taken when the answer came (before a SAML answer was verified, before
  // an OpenID Connect code was redeemed) and must still stand: a switch-off, an edit or a
  // removal of the provider meanwhile deleted it.
  const take = (tx: Queryable) => takenRequestStands(tx, provider.company_id, request.id);
  if (request.purpose === 'test') {
    const outcome = await deps.db.transaction().execute(async (tx) => {
      if (!(await take(tx))) return 'the request was withdrawn: the provider was changed or removed while it answered';
      const tester = await testerStillSignedIn(tx, provider.company_id, request.session_hash);
      if (!tester) return 'the Master who started the test has signed out or is no longer a Master';
      // Only a test of the settings as they still are counts as tested.
      await tx.updateTable('sso_providers').set({ tested_at: now }).where('company_id', '=', provider.company_id).where('id', '=', provider.id).where('updated_at', '<=', request.created_at).execute();
      await storeTestResult(tx, request.id, { status: 'succeeded', identity });
      await recordAudit(tx, now, { companyId: provider.company_id, actorId: tester, action: 'sso.tested', target: provider.id, ip: meta.ip, userAgent: meta.userAgent, detail: { provider: provider.id, username: identity.username, mfa: identity.mfa } });
      return null;
    });
    return outcome === null ? { to: 'test', providerId: provider.id, testId: request.id } : refuse(deps, provider.company_id, request, outcome, meta);
  }
  // The browser that brought the answer is the one that started it (startedHere), so its
  // flow cookie's login id is the flow's, which the flow keeps when it is renamed below.
  const loginId = browser.flowLoginId;
  if (loginId === undefined) return refuse(deps, provider.company_id, request, 'the answer came back through another browser than the one that started the sign-in', meta);
  const policy = await getCompanyPolicy(deps.db, provider.company_id);
  if (!ipAllowed(policy.ipAllowlist, meta.ip)) return refuse(deps, provider.company_id, request, 'address not in the IP allowlist', meta);
  const outcome = await deps.db.transaction().execute(async (tx) => {
    if (!(await take(tx))) return 'the provider was switched off, changed or removed while it answered, or the sign-in was started again';
    if (assertion && !(await rememberAssertion(tx, provider.id, assertion.id, assertion.expiresAt))) return 'the assertion was replayed';
    if (!(await providerStillStands(tx, provider))) return 'the provider was switched off or changed while it answered';
    const company = await tx.selectFrom('companies').select('status').where('id', '=', provider.company_id).executeTakeFirst();
    if (company?.status !== 'active') return 'the company is suspended';
    // Before the user is created or changed: an answer its sign-in can no longer use
    // (abandoned for the password, run out) changes no account. The flow's row stays
    // locked, so it is still waiting when it is moved on below.
    const flowHash = request.flow_hash ?? '';
    if (!(await holdFlowForProvider(tx, flowHash, provider.company_id, now))) return 'the sign-in was abandoned or has expired';
    const user = await provisionUser(tx, deps, provider, claims, meta);
    if (typeof user === 'string') return user;
    // The provider's groups are the user's Gatehouse groups (by name; unknown names are ignored),
    // in this transaction, so module access lost with a group ends before the session starts.
    if (identity.groups !== null && user.sso_break_glass !== 1) await replaceMembershipsByGroupNames(tx, now, provider.company_id, user.id, identity.groups);
    // The provider's MFA stands in for Gatehouse's second factor where the company trusts
    // it, but not for the passkey or security key its policy holds this user to, nor for a
    // break-glass user: they go on to the code step (or to adding a key), as after a password.
    const trusted = provider.trust_provider_mfa === 1 && identity.mfa && providerMfaMayStandIn(policy, user);
    const moved = await continueAfterProvider(
      tx,
      { flowHash, loginId, companyId: provider.company_id, user, providerMfaTrusted: trusted },
      now,
    );
    // Held above in this transaction, so this cannot happen; if it did, nothing of the
    // account's changes may commit (a thrown error rolls them back).
    if (!moved) throw new Error('the login flow held for the provider moved on within its transaction');
    await auditProviderLogin(tx, now, { companyId: provider.company_id, userId: user.id, providerId: provider.id, next: moved.next, meta });
    return moved;
  });
  deps.mailQueued();
  if (typeof outcome === 'string') {
    const refused = await refuse(deps, provider.company_id, request, outcome, meta);
    return outcome === COMPANY_FULL ? { to: 'login', failed: true, why: 'company_full' } : refused;
  }
  return { to: 'login', failed: false, flowToken: outcome.flowToken };
}

/**
 * The browser an answer came back through, by the hashes of its cookies: the login flow's
 * and the session's. A request is answered only through the browser that started it.
 * `flowLoginId`: the login id its flow cookie carries (src/login/flow-cookie.ts
 * loginIdOfToken), which the flow keeps when the answer renames it.
 */
export interface AnsweringBrowser {
  flowHash: string | undefined;
  flowLoginId: string | undefined;
  sessionHash: string | undefined;
}

/**
 * Whether the answer came back through the browser that started the request: a sign-in's
 * flow cookie, or the session of the Master who started a test. Otherwise anyone could
 * start a sign-in, send the link to someone signed in at the provider, and have that
 * person's answer move the sign-in in their own browser on, as that person.
 */
function startedHere(request: SsoRequest, browser: AnsweringBrowser): boolean {
  const [started, answering] = request.purpose === 'test' ? [request.session_hash, browser.sessionHash] : [request.flow_hash, browser.flowHash];
  return started !== null && answering !== undefined && constantTimeEqual(started, answering);
}

/** Why an answer to a request cannot count, before it is even read: its provider, its browser. */
function unanswerable(request: SsoRequest, provider: ProviderRow | undefined, kind: ProviderRow['kind'], browser: AnsweringBrowser): string | undefined {
  if (!provider || provider.kind !== kind) return 'the provider was removed';
  // A provider switched off (its key leaked, another one chosen) signs no one in from then on.
  if (request.purpose === 'login' && provider.enabled !== 1) return 'the provider was switched off';
  if (!startedHere(request, browser)) return 'the answer came back through another browser than the one that started the sign-in';
  return undefined;
}

/** POST /saml/<company>/acs/continue: the provider's answer, bounced back by this browser with its cookies. */
export async function receiveSamlResponse(deps: CoreDeps, companyId: string, samlResponse: string | undefined, browser: AnsweringBrowser, meta: RequestMeta): Promise<Landing> {
  const claimed = samlResponse ? claimedInResponseTo(samlResponse) : undefined;
  // The request is taken before anything else, as the OpenID Connect callback takes its
  // state: single use, whatever happens next. One Continue pays for one answer's
  // verification (a signature over up to 512 KiB of XML), not for one per forged answer
  // brought back; and an answer refused here cannot be brought back through the right browser.
  const request = claimed ? await consumeRequest(deps.db, companyId, claimed, deps.clock()) : undefined;
  if (!samlResponse || !request) return refuse(deps, companyId, undefined, 'the response answers no pending request', meta);
  const provider = await getProvider(deps.db, companyId, request.provider_id);
  const why = unanswerable(request, provider, 'saml', browser);
  if (why || !provider) return refuse(deps, companyId, request, why ?? 'the provider was removed', meta);
  const sp = serviceProviderUrls(deps.config.publicUrl, companyId);
  try {
    const verified = await verifySamlResponse(idpOf(provider), sp, samlResponse, request.id, deps.clock());
    const identity = samlIdentity(verified.attributes, verified.nameId, provider.username_attribute, verified.authnContextClassRef, provider.groups_attribute);
    if ('missing' in identity) return refuse(deps, companyId, request, `the assertion has no "${identity.missing}" attribute`, meta);
    if ('refused' in identity) return refuse(deps, companyId, request, identity.refused, meta);
    // Awaited here, so a sign-in that fails inside is refused like any other (audited, back to the login page).
    return await vouch(deps, provider, request, identity, { id: verified.assertionId, expiresAt: verified.expiresAt }, browser, meta);
  } catch (error) {
    return refuse(deps, companyId, request, reasonOf(error), meta);
  }
}

/** GET /sso/<company>/oidc/callback: the provider's answer, by the browser (a top-level GET: its cookies come along). */
export async function receiveOidcCallback(deps: CoreDeps, companyId: string, query: URLSearchParams, browser: AnsweringBrowser, meta: RequestMeta): Promise<Landing> {
  const state = query.get('state') ?? undefined;
  const requestId = requestIdOfState(state);
  // The state is taken before anything else: single use, whatever happens next.
  const request = requestId ? await consumeRequest(deps.db, companyId, requestId, deps.clock()) : undefined;
  if (!request || !state) return refuse(deps, companyId, undefined, 'the answer names no pending request', meta);
  const provider = await getProvider(deps.db, companyId, request.provider_id);
  const why = unanswerable(request, provider, 'oidc', browser);
  if (why || !provider) return refuse(deps, companyId, request, why ?? 'the provider was removed', meta);
  if (query.get('error')) return refuse(deps, companyId, request, `the provider answered ${query.get('error')}: ${query.get('error_description') ?? ''}`, meta);
  const sp = serviceProviderUrls(deps.config.publicUrl, companyId);
  const callbackUrl = new URL(sp.oidcRedirectUri);
  callbackUrl.search = query.toString();
  try {
    const claims = await oidcClaims(oidcOf(deps, provider), callbackUrl, {
      state,
      nonce: request.nonce ?? '',
      codeVerifier: deps.secrets.decrypt(request.code_verifier ?? '', `sso-pkce:${request.id}`),
      needed: provider.groups_attribute,
    });
    const identity = oidcIdentity(claims, provider.username_attribute, provider.groups_attribute);
    if ('missing' in identity) return refuse(deps, companyId, request, `the ID token has no "${identity.missing}" claim`, meta);
    if ('refused' in identity) return refuse(deps, companyId, request, identity.refused, meta);
    return await vouch(deps, provider, request, identity, null, browser, meta);
  } catch (error) {
    return refuse(deps, companyId, request, reasonOf(error), meta);
  }
}

/** A test's outcome, for the Master whose session started it. */
export async function ssoTestResult(deps: CoreDeps, who: Master & { sessionHash: string }, providerId: string, testId: string) {
  const row = await deps.db
    .selectFrom('sso_requests')
    .select(['result', 'expires_at'])
    .where('id', '=', testId)
    .where('company_id', '=', who.companyId)
    .where('provider_id', '=', providerId)
    .where('purpose', '=', 'test')
    .where('session_hash', '=', who.sessionHash)
    .executeTakeFirst();
  if (!row) throw new GatehouseError('request.not_found');
  if (row.result) return JSON.parse(row.result) as { status: 'succeeded' | 'failed' };
  return { status: 'waiting' as const };
}

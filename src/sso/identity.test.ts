import assert from 'node:assert/strict';
import { test } from 'node:test';
import { oidcIdentity, samlIdentity } from './identity.ts';

test('SAML: the chosen attribute is the username; name and email from the usual spellings', () => {
  const who = samlIdentity({ uid: 'alice', mail: 'alice@acme.test', givenName: 'Alice', sn: 'Liddell' }, '_transient1', 'uid', undefined);
  assert.deepEqual(who, { username: 'alice', email: 'alice@acme.test', displayName: 'Alice Liddell', mfa: false, method: null, groups: null });
  assert.equal((samlIdentity({}, 'bob@acme.test', 'NameID', undefined) as { username: string }).username, 'bob@acme.test');
  assert.deepEqual(samlIdentity({ mail: 'x@y.test' }, 'n', 'uid', undefined), { missing: 'uid' });
});

test('SAML: only a multi-factor AuthnContextClassRef (or Entra ID’s methods) proves MFA', () => {
  const mfa = (ref: string | undefined, attributes: Record<string, unknown> = {}) => (samlIdentity({ uid: 'a', ...attributes }, 'a', 'uid', ref) as { mfa: boolean }).mfa;
  assert.equal(mfa('urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport'), false);
  assert.equal(mfa('https://refeds.org/profile/mfa'), true);
  assert.equal(mfa('http://schemas.microsoft.com/claims/multipleauthn'), true);
  assert.equal(mfa(undefined, { 'http://schemas.microsoft.com/claims/authnmethodsreferences': ['http://schemas.microsoft.com/ws/2008/06/identity/authenticationmethod/password', 'http://schemas.microsoft.com/claims/multipleauthn'] }), true);
});

test('OIDC: amr with mfa, or a password and a second method, or a multi-factor acr prove MFA', () => {
  const mfa = (claims: Record<string, unknown>) => (oidcIdentity({ preferred_username: 'a', ...claims }, 'preferred_username') as { mfa: boolean }).mfa;
  assert.equal(mfa({ amr: ['pwd'] }), false);
  assert.equal(mfa({ amr: ['otp'] }), false);
  assert.equal(mfa({ amr: ['pwd', 'otp'] }), true);
  assert.equal(mfa({ amr: ['mfa'] }), true);
  assert.equal(mfa({ acr: 'urn:gatehouse:loa:2fa' }), true);
  assert.equal(mfa({ acr: '1' }), false);
  assert.deepEqual(oidcIdentity({ sub: 's' }, 'email'), { missing: 'email' });
});

test('groups: every value of the chosen attribute or claim, trimmed; none when it is absent; null when none is chosen', () => {
  const groupsOf = (claims: Record<string, unknown>, attribute: string | null) => (samlIdentity({ uid: 'a', ...claims }, 'a', 'uid', undefined, attribute) as { groups: string[] | null }).groups;
  assert.deepEqual(groupsOf({ memberOf: ['Engineering', ' Sales ', '', 7] }, 'memberOf'), ['Engineering', 'Sales']);
  assert.deepEqual(groupsOf({ memberOf: 'Engineering' }, 'memberOf'), ['Engineering']);
  // An absent attribute is "in no group": the sync then removes every membership.
  assert.deepEqual(groupsOf({}, 'memberOf'), []);
  assert.equal(groupsOf({ memberOf: ['Engineering'] }, null), null);
  // Groups sent elsewhere are not "no groups": Entra ID's SAML overage link, OpenID Connect's
  // distributed claims. Such an answer is refused (the sync would empty the user's groups).
  const overage = { 'http://schemas.microsoft.com/claims/groups.link': 'https://graph.windows.net/x/users/y/getMemberObjects' };
  assert.match((samlIdentity({ uid: 'a', ...overage }, 'a', 'uid', undefined, 'memberOf') as { refused: string }).refused, /by reference/);
  assert.deepEqual(groupsOf({ memberOf: ['Ops'], ...overage }, 'memberOf'), ['Ops'], 'the attribute itself wins');
  const distributed = { preferred_username: 'a', _claim_names: { groups: 'src1' }, _claim_sources: { src1: { endpoint: 'https://graph.example/x' } } };
  assert.match((oidcIdentity(distributed, 'preferred_username', 'groups') as { refused: string }).refused, /by reference/);
  assert.deepEqual((oidcIdentity(distributed, 'preferred_username', 'roles') as { groups: string[] }).groups, [], 'another claim sent elsewhere is not the groups');
  assert.deepEqual((oidcIdentity({ ...distributed, _claim_names: { ['__proto__']: 'x' } }, 'preferred_username', 'groups') as { groups: string[] }).groups, []);
  const oidc = oidcIdentity({ preferred_username: 'a', groups: ['Ops'] }, 'preferred_username', 'groups') as { groups: string[] | null };
  assert.deepEqual(oidc.groups, ['Ops']);
});

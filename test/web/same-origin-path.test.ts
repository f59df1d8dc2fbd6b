// Where the login page sends the browser afterwards (a module's resume, the page a session
// ended on): only this site's paths, whatever spelling of another site is tried.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sameOriginPath } from '../../web/src/sameOriginPath.ts';

const ORIGIN = 'https://gatehouse.example';

test("this site's paths pass, as the browser would follow them", () => {
  assert.equal(sameOriginPath('/settings', ORIGIN), '/settings');
  assert.equal(sameOriginPath('/company/users?q=ann#list', ORIGIN), '/company/users?q=ann#list');
  assert.equal(sameOriginPath('/oidc/auth/T_9daXRw160PsceULBY14', ORIGIN), '/oidc/auth/T_9daXRw160PsceULBY14');
  // Escapes stay escapes: a path, not a second slash.
  assert.equal(sameOriginPath('/%2F%2Fevil.example', ORIGIN), '/%2F%2Fevil.example');
});

test('every spelling of another site is refused', () => {
  for (const value of [
    '//evil.example',
    '/\\evil.example',
    '/\\\\evil.example',
    '/\t/evil.example',
    '/\n/evil.example',
    '/\r\n/evil.example',
    'https://evil.example/',
    'javascript:alert(1)',
    'evil.example',
    '',
    null,
    undefined,
  ]) {
    assert.equal(sameOriginPath(value, ORIGIN), undefined, JSON.stringify(value));
  }
});

// The URL the request log shows, from the request line as sent: a secret never appears
// there, not even as a 16-character slice, wherever it sits (a path segment the router did
// not match, a public route parameter, a public query value), whatever stray characters,
// escapes or partial percent-encoding surround it; the words of routes and filters stay.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { FastifyRequest } from 'fastify';
import { REDACTED, redactedUrl } from './log-redaction.ts';

/** A request as the serializer sees it: unmatched without a route, else with its params. */
function logged(url: string, route?: string, params: Record<string, string> = {}): string {
  const request = { raw: { url }, is404: route === undefined, routeOptions: { url: route }, params };
  return redactedUrl(request as unknown as FastifyRequest).url;
}

/**
 * Every 16-character slice of the secret found in the text, read with its escapes decoded,
 * or with each escape as one opaque mark (so the hex digits of "%3B" never count as the
 * "B" of a secret: a reader sees an escape there, not a letter).
 */
function slicesIn(text: string, secret: string): string[] {
  const plain = text.replace(/%[0-7][0-9A-Fa-f]/g, (escape) => String.fromCharCode(Number.parseInt(escape.slice(1), 16)));
  const escapesAsMarks = text.replace(/%[0-9A-Fa-f]{2}/g, '%');
  const slices = Array.from({ length: secret.length - 15 }, (_, at) => secret.slice(at, at + 16));
  return slices.filter((slice) => escapesAsMarks.includes(slice) || plain.includes(slice));
}

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** A 43-character secret as Gatehouse issues them (randomToken, the provider's nanoid). */
const secret = fc.array(fc.constantFrom(...BASE64URL), { minLength: 43, maxLength: 43 }).map((chars) => chars.join(''));
/** What a mangled copy or a probing client puts next to it. */
const stray = fc.constantFrom('%', '%zz', '%2', '%20', '%2F', '%25', ',', ';', '!', '.json', '~', '+', '=', '*', "'", ')', '%E2%80%8B', '%0A', '.');
/** The secret as sent: some characters percent-encoded, stray text before, inside or after. */
const mangled = fc
  .record({ secret, encodeEvery: fc.integer({ min: 0, max: 12 }), before: fc.option(stray), inside: fc.option(fc.tuple(fc.integer({ min: 1, max: 42 }), stray)), after: fc.option(stray) })
  .map(({ secret, encodeEvery, before, inside, after }) => {
    const spelled = [...secret].map((char, at) => (encodeEvery && at % encodeEvery === 0 ? `%${char.charCodeAt(0).toString(16)}` : char));
    if (inside) spelled.splice(inside[0], 0, inside[1]);
    return { secret, sent: `${before ?? ''}${spelled.join('')}${after ?? ''}` };
  });

test('a secret next to stray characters is hidden in unmatched paths, public parameters and public query values', () => {
  fc.assert(
    fc.property(mangled, ({ secret, sent }) => {
      for (const url of [
        logged(`/signup/${sent}`),
        logged(`/signup;${sent}`),
        logged(`/nothing/${sent}/more`),
        logged(`/oidc/auth/${sent}`, '/oidc/*', { '*': `auth/${decodeLeniently(sent)}` }),
        logged(`/api/company/users/${sent}`, '/api/company/users/:id', { id: decodeLeniently(sent) }),
        logged(`/api/company/audit?status=${sent}&scope=openid%20${sent}&client_id=${sent}&redirect_uri=https%3A%2F%2Fapp.test%2F${sent}`, '/api/company/audit'),
        logged(`/x?${sent}=1&${sent}`),
      ]) {
        assert.deepEqual(slicesIn(url, secret), [], url);
      }
    }),
    { numRuns: 300 },
  );
});

/** Text with its ASCII escapes decoded until none is left (a reader may decode it twice). */
function decodedFully(text: string): string {
  for (let round = 0; round < 6; round++) {
    const next = text.replace(/%[0-7][0-9A-Fa-f]/g, (escape) => String.fromCharCode(Number.parseInt(escape.slice(1), 16)));
    if (next === text) return text;
    text = next;
  }
  return text;
}

test('a secret escaped twice or more is hidden too: no 16 of its characters come back however often the log is decoded', () => {
  const escapedTimes = (char: string, times: number) => {
    let spelled = `%${char.charCodeAt(0).toString(16)}`;
    for (let more = 1; more < times; more++) spelled = spelled.replaceAll('%', '%25');
    return spelled;
  };
  const nested = fc
    .record({ secret, times: fc.integer({ min: 2, max: 4 }), every: fc.integer({ min: 1, max: 8 }), before: fc.option(stray), after: fc.option(stray) })
    .map(({ secret, times, every, before, after }) => ({
      secret,
      sent: `${before ?? ''}${[...secret].map((char, at) => (at % every === 0 ? escapedTimes(char, times) : char)).join('')}${after ?? ''}`,
    }));
  fc.assert(
    fc.property(nested, ({ secret, sent }) => {
      for (const url of [logged(`/signup/${sent}`), logged(`/nothing/${sent}/more`), logged(`/api/company/audit?status=${sent}`, '/api/company/audit')]) {
        const read = decodedFully(url);
        const leaked = Array.from({ length: secret.length - 15 }, (_, at) => secret.slice(at, at + 16)).filter((slice) => read.includes(slice));
        assert.deepEqual(leaked, [], url);
      }
    }),
    { numRuns: 300 },
  );
  const token = 'pgqXsGFzNxFd056lPu-03Z_y2sIZk8VhaYcefK6A9LM';
  const twice = [...token].map((char) => `%25${char.charCodeAt(0).toString(16)}`).join('');
  assert.equal(logged(`/signup/${twice}`), '/signup/[redacted]');
  // Words escaped twice are not secrets: they stay as sent.
  assert.equal(logged('/caf%25C3%25A9/open%2520id'), '/caf%25C3%25A9/open%2520id');
});

/** What the router hands a handler: the escapes it can decode, decoded. */
function decodeLeniently(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

test('the reported spellings of a Sign Up token lose the token and keep the stray text', () => {
  const token = 'pgqXsGFzNxFd056lPu-03Z_y2sIZk8VhaYcefK6A9LM';
  assert.equal(logged(`/signup/${token}%`), '/signup/[redacted]%');
  assert.equal(logged(`/api/signup/${token}%zz`), '/api/signup/[redacted]%zz');
  assert.equal(logged(`/api/signup/${token},`), '/api/signup/[redacted],');
  assert.equal(logged(`/signup;${token}`), '/signup;[redacted]');
  assert.equal(logged(`/nothing/${token}!`), '/nothing/[redacted]!');
  assert.equal(logged(`/nothing/${token}.json`), '/nothing/[redacted].json');
  assert.equal(logged(`/nothing/%${token.charCodeAt(0).toString(16)}${token.slice(1)}`), '/nothing/[redacted]');
  assert.equal(logged(`/a?status=${token}!&scope=${token}%20x`), '/a?status=[redacted]!&scope=[redacted]%20x');
  assert.equal(logged(`/a?client_id=${token}`), '/a?client_id=[redacted]');
});

test('route and filter words stay readable', () => {
  for (const path of ['/oidc/.well-known/openid-configuration', '/api/me/security-keys', '/api/me/recovery-codes', '/operator/transfer-root-master', '/no-such-page/recovery_codes.csv', '/caf%C3%A9/%zz']) {
    assert.equal(logged(path), path);
  }
  const query = 'status=pending&limit=50&scope=openid%20profile+email&client_id=gh_Ab3dEfGhIjKlMnOpQrStUv&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcallback&ui_locales=en-GB';
  assert.equal(logged(`/api/company/audit?${query}`, '/api/company/audit'), `/api/company/audit?${query}`);
  assert.equal(logged('/api/company/audit?code=abc&state=x', '/api/company/audit'), '/api/company/audit?code=[redacted]&state=[redacted]');
  const id = '0b6c3d2e-1f4a-4b5c-8d9e-0f1a2b3c4d5e';
  assert.equal(logged(`/api/company/users/${id}/role`, '/api/company/users/:id/role', { id }), `/api/company/users/${id}/role`);
  assert.equal(logged('/signup/abc', '/signup/:token', { token: 'abc' }), '/signup/[redacted]');
  assert.equal(logged(`/nothing/${id}`), `/nothing/${REDACTED}`, 'an id outside its route parameter is hidden, as before');
});

// Every state-changing route a session may call is classified: marked `sensitive` (a
// recent proof is needed, src/http/audiences.ts; docs/SECURITY.md "Step-up for sensitive
// changes"), or listed below with why a borrowed cookie gains nothing lasting from it.
// A new route that is neither fails here, so its author decides.
import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance, RouteOptions } from 'fastify';
import { startTestServer, type TestServer } from '../helpers/server.ts';

/** Session routes that change state but need no step-up, and why. */
const NOT_SENSITIVE: Record<string, string> = {
  // My own account: each asks its own proof in the body already (password, or password and
  // a code or key: src/login/reauth.ts withProof), or changes only what I see or sign out.
  'POST /api/me/profile': 'display name only',
  'POST /api/me/email': 'asks the current password; the old address may cancel',
  'POST /api/me/password': 'asks the current password; ends the other sessions',
  'POST /api/me/reauth/key-options': 'a challenge for the proof itself',
  'POST /api/me/reauth': 'the proof itself',
  'POST /api/me/two-factor/reset': 'asks password and code or key (withProof)',
  'POST /api/me/recovery-codes': 'asks password and code or key (withProof)',
  'POST /api/me/sessions/revoke-all': 'takes access away',
  'POST /api/me/sessions/:handle/revoke': 'takes access away',
  'POST /api/me/security-keys/:id/rename': 'a label only',
  // A company's Masters.
  'POST /api/company/users/:id/resend-invite': 'a new link to the address already invited, in the role already chosen',
  'POST /api/company/users/:id/deactivate': 'takes access away',
  'POST /api/company/users/:id/delete': 'takes access away',
  'POST /api/company/users/:id/unlock': 'clears a lockout only; the password and second factor still stand',
  'POST /api/company/users/:id/sessions/end-all': 'takes access away',
  'POST /api/company/users/:id/sessions/:handle/end': 'takes access away',
  'POST /api/company/approvals/:id/reject': 'takes a pending reset away',
  // Groups only narrow which users get a module: an invited User (no step-up) already gets
  // every module no group holds, so guarding groups would protect nothing.
  'POST /api/company/groups': 'an empty group',
  'POST /api/company/groups/:id/rename': 'a label only',
  'POST /api/company/groups/:id/delete': 'module sign-ins it alone allowed end',
  'POST /api/company/groups/:id/members': 'module access within what the company has (see above)',
  'POST /api/company/groups/:id/members/:userId/remove': 'takes access away',
  'POST /api/company/groups/:id/modules': 'module access within what the company has (see above)',
  'POST /api/company/modules/:id': 'switches a module the operator granted on or off for the company\'s own users',
  'POST /api/company/sso/providers/:id/delete': 'takes a provider away (sign-in falls back to passwords)',
  'POST /api/company/api-clients': 'asks password and code or key in the body (withProof)',
  'POST /api/company/api-clients/:clientId/rotate': 'asks password and code or key in the body (withProof)',
  'POST /api/company/api-clients/:clientId/delete': 'takes access away',
  // Operators.
  'POST /api/operator/requests': 'enters a request; approving it is sensitive',
  'POST /api/operator/requests/:id/reject': 'takes a request away',
  'POST /api/operator/companies/:id/suspend': 'takes access away',
  'POST /api/operator/companies/:id/resend-welcome': 'a new link to the Root Master already on file',
  'POST /api/operator/companies/:id/modules/:moduleId/revoke': 'takes access away',
  'POST /api/operator/api-clients': 'asks password and code or key in the body (withProof)',
  'POST /api/operator/api-clients/:clientId/rotate': 'asks password and code or key in the body (withProof)',
  'POST /api/operator/api-clients/:clientId/delete': 'takes access away',
};

/** What must stay marked: the changes a borrowed Master or operator cookie would plant for good. */
const MUST_BE_SENSITIVE = [
  'POST /api/company/users',
  'POST /api/company/users/bulk-invite',
  'POST /api/company/users/:id/role',
  'POST /api/company/users/:id/transfer-root-master',
  'POST /api/company/users/:id/reset-2fa',
  'POST /api/company/users/:id/reactivate',
  // A key signs in without the app's code: the password alone must not plant one, nor
  // take away the key a phishing-resistant policy holds the user to (the app's code would
  // then prove the session and sign in).
  'POST /api/me/security-keys/options',
  // Where the key is written too: the options' challenge lives a few minutes, and the
  // proof must not grow old between the two.
  'POST /api/me/security-keys',
  'POST /api/me/security-keys/:id/remove',
  'POST /api/company/approvals/:id/approve',
  'POST /api/company/policy',
  'POST /api/company/sso',
  'POST /api/company/sso/providers',
  'POST /api/company/sso/providers/:id',
  'POST /api/company/sso/providers/:id/test',
  'POST /api/company/sso/providers/:id/enabled',
  'POST /api/operator/modules',
  'POST /api/operator/modules/:id/rotate-secret',
  'POST /api/operator/companies/:id/modules/:moduleId/grant',
  'POST /api/operator/requests/:id/approve',
  'POST /api/operator/companies/:id/reactivate',
];

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

describe('every state-changing session route is classified for step-up', () => {
  let server: TestServer;
  const routes: RouteOptions[] = [];
  before(async () => {
    const collect = (message: unknown) => (message as { fastify: FastifyInstance }).fastify.addHook('onRoute', (route) => void routes.push(route));
    diagnostics.subscribe('fastify.initialization', collect);
    try {
      server = await startTestServer();
    } finally {
      diagnostics.unsubscribe('fastify.initialization', collect);
    }
  });
  after(() => server.close());

  test('each is marked sensitive or listed with a reason, never both', () => {
    // A session route: its audience guard says so in the OpenAPI security (audiences.ts).
    const bySession = (route: RouteOptions) => JSON.stringify((route.schema as { security?: unknown } | undefined)?.security) === JSON.stringify([{ session: [] }]);
    const writes = routes.filter(bySession).flatMap((route) =>
      [route.method].flat().filter((m) => !SAFE.has(m)).map((method) => ({ key: `${method} ${route.url}`, sensitive: route.config?.sensitive !== undefined })),
    );
    assert.ok(writes.length > 50, `session routes enumerated: ${writes.length}`);
    const unclassified = writes.filter((w) => !w.sensitive && !(w.key in NOT_SENSITIVE)).map((w) => w.key);
    assert.deepEqual(unclassified, [], 'mark these `config: { sensitive }` or list them in NOT_SENSITIVE with why');
    const both = writes.filter((w) => w.sensitive && w.key in NOT_SENSITIVE).map((w) => w.key);
    assert.deepEqual(both, []);
    const marked = new Set(writes.filter((w) => w.sensitive).map((w) => w.key));
    assert.deepEqual(MUST_BE_SENSITIVE.filter((key) => !marked.has(key)), []);
    // The list names only routes that exist: a renamed route is classified again.
    const known = new Set(writes.map((w) => w.key));
    assert.deepEqual(Object.keys(NOT_SENSITIVE).filter((key) => !known.has(key)), []);
  });
});

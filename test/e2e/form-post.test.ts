// The form_post response mode (advertised in discovery) in real browsers: the provider's
// answer is a page whose script posts the code to the module. Gatehouse's pages let forms
// post only to Gatehouse, and every browser refused that post until the page got a policy
// of its own (src/modules/oidc/form-post-page.ts); the HTTP tests read the page's form
// and could not see it. Here a module whose callback takes the post and sends the browser
// on to another of its origins (form-action applies to that redirect too) is signed into
// three ways: from a logged-out browser (login page, password, code), silently with the
// session, and with an error posted back (prompt=none with max_age=0).
//
//   npx node --test test/e2e/form-post.test.ts
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { describe, test } from 'node:test';
import { grantModule, registerModule } from '../../src/modules/index.ts';
import { companyWithRootMaster, operatorAgent } from '../helpers/company-admin.ts';
import { ACME_REQUEST } from '../helpers/journey.ts';
import { discover, redeem, startAuthorization } from '../helpers/oidc.ts';
import { enginesFromEnv, launchBrowser } from './browsers/index.ts';
import { freePort } from './browsers/util.ts';
import { waitUntil } from './browsers/wait.ts';
import { enterFreshCode, identifyAndPassword } from './login-page.ts';
import { currentStep, JOURNEY_TIMEOUT_MS } from './support.ts';
import { onHttpsGatehouse } from './stage.ts';

const SIGNED_IN = 'Back at the module';

function body(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (text += chunk));
    request.on('end', () => resolve(text));
    request.on('error', reject);
  });
}

for (const engine of enginesFromEnv()) {
  describe(`response_mode=form_post in a real browser (${engine})`, () => {
    test('the code is posted to the module, logged out, signed in and as an error; the module may redirect elsewhere after', { timeout: JOURNEY_TIMEOUT_MS }, async () => {
      await onHttpsGatehouse(engine, async ({ server, closeFirst }) => {
        const company = await companyWithRootMaster(server, await operatorAgent(server), ACME_REQUEST.companyName, ACME_REQUEST.email);
        const enrolledStep = currentStep();

        // The module: its callback takes the post, then sends the browser to another of its origins.
        // (Another port, not another name: Gatehouse's HSTS covers localhost on every port in WebKit.)
        const [port, otherPort] = [await freePort(), await freePort()];
        const callback = `http://127.0.0.1:${port}/callback`;
        const landing = `http://127.0.0.1:${otherPort}/landing`;
        const posts: URLSearchParams[] = [];
        const answer = async (request: IncomingMessage, response: ServerResponse) => {
          if (request.method === 'POST' && request.url === '/callback') {
            posts.push(new URLSearchParams(await body(request)));
            response.writeHead(303, { location: landing }).end();
            return;
          }
          response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(`<!doctype html><title>Module</title><p>${SIGNED_IN}</p>`);
        };
        for (const at of [port, otherPort]) {
          const origin = createServer((request, response) => void answer(request, response));
          await new Promise<void>((resolve) => origin.listen(at, '127.0.0.1', resolve));
          closeFirst('stopping the module', () => new Promise((resolve) => origin.close(resolve)));
        }
        const { deps } = server.gatehouse;
        const { module: registered, clientSecret } = await registerModule(
          deps.db,
          deps.deriveKey('client-secrets'),
          { name: 'Posting Module', description: 'Takes its code by form_post.', launchUrl: `http://127.0.0.1:${port}/`, redirectUris: [callback], postLogoutRedirectUris: [], clientType: 'confidential' },
          deps.clock(),
        );
        await grantModule(deps.db, company.companyId, registered.id, deps.clock());
        assert.ok(clientSecret, 'a confidential module gets a secret');
        const config = await discover(server, registered.client_id, clientSecret);

        const page = await launchBrowser(engine);
        closeFirst('closing the browser', () => page.close());

        /** Opens an authorization asking for form_post and waits until the module has the post and the browser is at its landing page. */
        const signIn = async (extra: Record<string, string>, logIn?: () => Promise<void>) => {
          const start = await startAuthorization(config, { redirect_uri: callback, response_mode: 'form_post', ...extra });
          const before = posts.length;
          await page.goto(start.url.toString());
          await logIn?.();
          const posted = await waitUntil('the module to get the post', () => posts[before]);
          await page.waitForUrl(landing);
          await page.waitForText(SIGNED_IN);
          assert.equal(posted.get('state'), start.state, 'the post answers this authorization');
          return { start, posted };
        };

        // 1. From a browser logged out of Gatehouse: the login page, then the code posted.
        const first = await signIn({}, async () => {
          await identifyAndPassword(page, { username: company.root.username, companyName: company.companyName });
          await enterFreshCode(page, company.root.totpSecret, enrolledStep);
        });
        const tokens = await redeem(config, new URL(`${callback}?${first.posted}`), first.start);
        assert.ok(tokens.id_token, 'the posted code redeems');
        assert.deepEqual(tokens.claims()?.amr, ['pwd', 'otp']);

        // 2. With the Gatehouse session: no page in between, the code posted straight away.
        const second = await signIn({});
        assert.ok(second.posted.get('code'), 'a code is posted');
        assert.ok((await redeem(config, new URL(`${callback}?${second.posted}`), second.start)).access_token);

        // 3. An error goes back the same way: a fresh login asked for without a page to show.
        const third = await signIn({ prompt: 'none', max_age: '0' });
        assert.equal(third.posted.get('error'), 'login_required');
        assert.equal(third.posted.get('code'), null);
      });
    });
  });
}

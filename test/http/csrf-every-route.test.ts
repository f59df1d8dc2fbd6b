// Every state-changing route the app registers, forged with a victim's session cookie in
// each way a foreign page can send one: 403 or 415, never a change.
import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance, RouteOptions } from 'fastify';
import { companyWithRootMaster, invitedMember, operatorAgent, type SignedInCompany, type Person } from '../helpers/company-admin.ts';
import type { Agent } from '../helpers/agent.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { rawRequest, snapshot } from '../helpers/spellings.ts';
import { routeKind } from '../../src/http/route-guards.ts';

const EVIL = 'https://evil.example';

/** A server, the routes it registered (read as Fastify registers them), and a company whose Master the ids point at. */
async function serverWithItsRoutes(companyName: string, domain: string, username: string) {
  const routes: RouteOptions[] = [];
  const collect = (message: unknown) => (message as { fastify: FastifyInstance }).fastify.addHook('onRoute', (route) => void routes.push(route));
  diagnostics.subscribe('fastify.initialization', collect);
  let server: TestServer;
  try {
    server = await startTestServer();
  } finally {
    diagnostics.unsubscribe('fastify.initialization', collect);
  }
  const operator = await operatorAgent(server);
  const company = await companyWithRootMaster(server, operator, companyName, `root@${domain}`);
  const member = await invitedMember(server, company, company.root.agent, { username, role: 'master' });
  return { server, operator, company, member, routes };
}

/** A route's path with its parameters filled in: the Master's and company's ids, a token-shaped token, else a fresh id. */
function filledIn(url: string, member: Person, company: SignedInCompany): string {
  return url
    .replace(/:([A-Za-z]+)/g, (_m, name: string) => (name === 'userId' || name === 'id' ? member.id : name === 'companyId' ? company.companyId : name === 'token' ? 'A'.repeat(43) : randomUUID()))
    .replace('*', 'x');
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

describe('CSRF on every state-changing route', () => {
  let server: TestServer;
  let operator: Agent;
  let company: SignedInCompany;
  let member: Person;
  let routes: RouteOptions[];
  before(async () => {
    ({ server, operator, company, member, routes } = await serverWithItsRoutes('Forgery Target IT', 'forgery.test', 'target'));
  });
  after(() => server.close());

  test('each forgery of each route is refused and nothing changes', async () => {
    const fill = (url: string) => filledIn(url, member, company);
    const writes = routes.flatMap((route) => [route.method].flat().filter((m) => !SAFE.has(m)).map((method) => ({ method, url: route.url as string })));
    const unique = [...new Map(writes.map((w) => [`${w.method} ${w.url}`, w])).values()];
    const checked = unique.filter((w) => !['provider', 'saml-acs', 'bearer-api'].includes(routeKind(w.url)));
    assert.ok(checked.length > 80, `routes enumerated: ${checked.length}`);
    const json = JSON.stringify({ password: 'x', email: 'a@b.test', name: 'n', username: 'u', role: 'user', enabled: false });
    const wrong: string[] = [];
    const before = await snapshot(server);
    for (const who of [operator, company.root.agent, member.agent]) {
      const cookie = who.cookieHeader();
      const forgeries: Array<[string, Record<string, string>, string]> = [
        ['foreign Origin, JSON', { cookie, origin: EVIL, 'content-type': 'application/json' }, json],
        ['Origin null, JSON', { cookie, origin: 'null', 'content-type': 'application/json' }, json],
        ['Origin null, cross-site', { cookie, origin: 'null', 'sec-fetch-site': 'cross-site', 'content-type': 'text/plain' }, json],
        ['no Origin, cross-site', { cookie, 'sec-fetch-site': 'cross-site', 'content-type': 'application/json' }, json],
        ['no Origin, same-site', { cookie, 'sec-fetch-site': 'same-site', 'content-type': 'application/json' }, json],
        ['foreign Origin, text/plain', { cookie, origin: EVIL, 'content-type': 'text/plain' }, json],
        ['foreign Origin, form', { cookie, origin: EVIL, 'content-type': 'application/x-www-form-urlencoded' }, 'a=b'],
        ['foreign Origin, multipart', { cookie, origin: EVIL, 'content-type': 'multipart/form-data; boundary=x' }, '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n{}\r\n--x--'],
        ['Referer only, text/plain', { cookie, referer: `${EVIL}/x`, 'content-type': 'text/plain' }, json],
        ['Referer only, form', { cookie, referer: `${EVIL}/x`, 'content-type': 'application/x-www-form-urlencoded' }, 'a=b'],
        ['Referer only, multipart', { cookie, referer: `${EVIL}/x`, 'content-type': 'multipart/form-data; boundary=x' }, '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n{}\r\n--x--'],
        ['our Origin, text/plain', { cookie, origin: server.baseUrl, 'content-type': 'text/plain' }, json],
        ['our Origin, text/plain;charset=application/json', { cookie, origin: server.baseUrl, 'content-type': 'text/plain; charset=application/json' }, json],
      ];
      for (const { method, url } of checked) {
        for (const [name, headers, body] of forgeries) {
          // The SAML continue takes the bounce page's own form post (same-origin, a form).
          if (url === '/saml/:companyId/acs/continue' && (name.startsWith('Referer only') || name.startsWith('our Origin'))) continue;
          const answer = await rawRequest(server.baseUrl, method, fill(url), headers, body);
          if (answer.status !== 403 && answer.status !== 415) wrong.push(`${name}: ${method} ${url} -> ${answer.status} ${JSON.stringify(answer.body).slice(0, 120)}`);
        }
      }
    }
    assert.deepEqual(wrong, [], 'every forged request is refused 403/415');
    const afterwards = await snapshot(server);
    assert.ok(afterwards === before, `no forged request changed anything: ${afterwards.split('\n').filter((l) => !before.includes(l)).join('\n').slice(0, 2000)}`);
  });
});

describe('GET and HEAD never change state', () => {
  let server: TestServer;
  let operator: Agent;
  let company: SignedInCompany;
  let member: Person;
  let routes: RouteOptions[];
  before(async () => {
    ({ server, operator, company, member, routes } = await serverWithItsRoutes('Reader Target IT', 'reader.test', 'reader'));
  });
  after(() => server.close());

  test('every GET/HEAD route, signed in or not', async () => {
    const fill = (url: string) => filledIn(url, member, company);
    const reads = routes.flatMap((route) => [route.method].flat().filter((m) => m === 'GET' || m === 'HEAD').map((method) => ({ method, url: route.url as string })));
    const unique = [...new Map(reads.map((w) => [`${w.method} ${w.url}`, w])).values()].filter((w) => routeKind(w.url) !== 'provider' && w.url !== '/sso/:companyId/oidc/callback');
    const before = await snapshot(server);
    for (const who of [operator, company.root.agent, member.agent, server.agent()]) {
      for (const { method, url } of unique) await rawRequest(server.baseUrl, method, fill(url), { cookie: who.cookieHeader(), origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' });
    }
    // A signed-in request touches its session's last_seen_at and last_seen_ip (use, not a change of state).
    const norm = (text: string) => text.replace(/"last_seen_at":\d+/g, '"last_seen_at":0').replace(/"last_seen_ip":(null|"[^"]*")/g, '"last_seen_ip":null');
    const afterwards = norm(await snapshot(server));
    const before2 = norm(before);
    assert.ok(afterwards === before2, `GETs changed state: ${afterwards.split('\n').filter((l) => !before2.includes(l)).join('\n').slice(0, 2000)}`);
  });
});

// Software no one here wrote, signing in through Gatehouse with the guide's exact
// settings (docs/MODULES.md, read here block by block): Apache httpd with
// mod_auth_openidc protecting a CGI program, and a Python script using authlib. Each runs
// against a real Gatehouse over loopback while the test drives a signed-in user's browser
// through the redirects. The peers are Debian packages (.ci/run installs them); when one
// is missing the test fails saying what to install, it is never skipped.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, test } from 'node:test';
import { guideBlock } from '../helpers/guide.ts';
import { BrowserCookies } from '../helpers/cookie-jar.ts';
import type { signedInOperator } from '../helpers/journey.ts';
import { followRedirects, grantedModule, rootWithGrantedModule, type Person } from '../helpers/oidc.ts';
import { freePort } from '../helpers/net.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { until } from '../helpers/until.ts';

const APACHE = '/usr/sbin/apache2';
const APACHE_MODULES = '/usr/lib/apache2/modules';
// Debian's own Python, where python3-authlib is installed (not a python3 earlier on PATH).
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const PEER_TIMEOUT_MS = 30_000;

let server: TestServer;
let operator: Awaited<ReturnType<typeof signedInOperator>>;
let root: Person;
let workDir: string;
const processes: ChildProcess[] = [];

before(async () => {
  server = await startTestServer({ realClock: true });
  ({ operator, root } = await rootWithGrantedModule(server));
  workDir = await mkdtemp(join(tmpdir(), 'gatehouse-peers-'));
  // Apache's workers run as www-data when the test runs as root: they read the CGI program.
  await chmod(workDir, 0o755);
});
after(async () => {
  await Promise.all(processes.map(stop));
  await server.close();
  await rm(workDir, { recursive: true, force: true });
});

/** Ends a process this test started and waits until it has gone. */
async function stop(child: ChildProcess) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await gone;
  clearTimeout(timer);
}

/** The guide's placeholders, filled for this run. */
function fill(text: string, values: Record<string, string>): string {
  let filled = text;
  for (const [placeholder, value] of Object.entries(values)) filled = filled.split(placeholder).join(value);
  return filled;
}

function requirePeer(present: boolean, what: string, packages: string) {
  assert.ok(present, `${what} is not installed: apt-get install ${packages} (.ci/run installs it for the suite)`);
}

test('Apache httpd with mod_auth_openidc, configured as the guide says, signs a user in', { timeout: 90_000 }, async () => {
  requirePeer(existsSync(APACHE) && existsSync(join(APACHE_MODULES, 'mod_auth_openidc.so')), 'Apache with mod_auth_openidc', 'apache2 libapache2-mod-auth-openidc');
  const port = await freePort();
  const site = `http://127.0.0.1:${port}`;
  const module = await grantedModule(server, operator.agent, root.companyId, {
    name: 'Apache Site',
    redirectUris: [`${site}/protected/callback`],
  });

  const cgiDir = join(workDir, 'cgi-bin');
  await mkdir(cgiDir, { mode: 0o755 });
  const program = join(cgiDir, 'claims');
  await writeFile(program, '#!/bin/sh\nprintf "Content-Type: text/plain\\n\\n"\necho "REMOTE_USER=$REMOTE_USER"\nenv | grep "^OIDC_CLAIM_" | sort\n');
  await chmod(program, 0o755);

  const guide = fill(guideBlock('apache'), {
    'https://gatehouse.example.com': server.baseUrl,
    'https://ticketing.example.com': site,
    YOUR_CLIENT_ID: module.module.clientId,
    YOUR_CLIENT_SECRET: module.clientSecret as string,
    YOUR_RANDOM_PASSPHRASE: 'peers-test-passphrase',
  });
  const runAs = process.getuid?.() === 0 ? 'User www-data\nGroup www-data\n' : '';
  const conf = join(workDir, 'httpd.conf');
  // An instance of its own: its own root, port, pid file and logs; the system site is untouched.
  await writeFile(
    conf,
    `ServerRoot ${workDir}
ServerName 127.0.0.1
DefaultRuntimeDir ${workDir}
PidFile ${workDir}/httpd.pid
ErrorLog ${workDir}/error.log
LogLevel warn auth_openidc:info
Listen 127.0.0.1:${port}
${runAs}LoadModule mpm_prefork_module ${APACHE_MODULES}/mod_mpm_prefork.so
LoadModule authn_core_module ${APACHE_MODULES}/mod_authn_core.so
LoadModule authz_core_module ${APACHE_MODULES}/mod_authz_core.so
LoadModule authz_user_module ${APACHE_MODULES}/mod_authz_user.so
LoadModule alias_module ${APACHE_MODULES}/mod_alias.so
LoadModule cgi_module ${APACHE_MODULES}/mod_cgi.so
LoadModule auth_openidc_module ${APACHE_MODULES}/mod_auth_openidc.so
DocumentRoot ${workDir}
ScriptAlias /protected/ ${cgiDir}/

${guide}
`,
  );
  // A process group of its own: stopping, Apache signals its whole group, which would
  // otherwise be this test's.
  const apache = spawn(APACHE, ['-f', conf, '-DFOREGROUND'], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  processes.push(apache);
  let output = '';
  apache.stdout?.on('data', (chunk) => (output += chunk));
  apache.stderr?.on('data', (chunk) => (output += chunk));
  const errorLog = async () => `${output}\n${await readFile(join(workDir, 'error.log'), 'utf8').catch(() => '')}`;
  await until(
    async () => {
      if (apache.exitCode !== null) throw new Error(`Apache stopped (${apache.exitCode}): ${await errorLog()}`);
      return fetch(`${site}/`).then(
        () => true,
        () => false,
      );
    },
    'Apache to listen',
    PEER_TIMEOUT_MS,
  );

  // The user's browser: one cookie jar for the site, the signed-in one for Gatehouse.
  const browser = new Navigator(site);
  const first = await browser.get('/protected/claims');
  assert.equal(first.status, 302, `Apache sends the browser to Gatehouse: ${first.status} ${String(first.body).slice(0, 300)} ${await errorLog()}`);
  const toGatehouse = new URL(first.headers.get('location') as string);
  assert.equal(toGatehouse.origin + toGatehouse.pathname, `${server.baseUrl}/oidc/auth`);
  assert.equal(toGatehouse.searchParams.get('code_challenge_method'), 'S256');

  const walk = await followRedirects(root.agent, toGatehouse, site);
  assert.ok(walk.callback, `ended at ${walk.at} with ${walk.final?.status}`);
  const back = await browser.get(walk.callback.pathname + walk.callback.search);
  assert.equal(back.status, 302, `mod_auth_openidc redeemed the code: ${back.status} ${String(back.body).slice(0, 300)} ${await errorLog()}`);
  assert.equal(new URL(back.headers.get('location') as string, site).pathname, '/protected/claims');

  const page = await browser.get('/protected/claims');
  assert.equal(page.status, 200, String(page.body));
  const seen = Object.fromEntries(
    String(page.body)
      .trim()
      .split('\n')
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
  assert.equal(seen.OIDC_CLAIM_preferred_username, root.username);
  assert.match(seen.OIDC_CLAIM_sub ?? '', new RegExp(`^${root.companyId}\\.`));
  assert.equal(seen.REMOTE_USER, seen.OIDC_CLAIM_sub, 'OIDCRemoteUserClaim sub');
  assert.match(seen.OIDC_CLAIM_company ?? '', new RegExp(root.companyName));
  assert.equal(seen.OIDC_CLAIM_acr, 'urn:gatehouse:loa:2fa');

  await stop(apache);
});

/**
 * A browser's page loads, by node:http: mod_auth_openidc answers 401 rather than a
 * redirect to anything that does not look like a navigation, and fetch always adds
 * `Sec-Fetch-Mode: cors`.
 */
class Navigator {
  readonly cookies: BrowserCookies;
  readonly origin: string;
  constructor(origin: string) {
    this.origin = origin;
    this.cookies = new BrowserCookies(origin);
  }

  get(path: string): Promise<{ status: number; headers: Headers; body: string }> {
    const headers: Record<string, string> = { accept: 'text/html', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' };
    const cookie = this.cookies.headerFor(path);
    if (cookie) headers.cookie = cookie;
    return new Promise((resolve, reject) => {
      const request = httpGet(new URL(path, this.origin), { headers }, (response) => {
        this.cookies.store(path, response.headers['set-cookie'] ?? []);
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk) => (body += chunk));
        response.on('end', () => {
          const answered = new Headers();
          for (const [name, value] of Object.entries(response.headers)) if (typeof value === 'string') answered.set(name, value);
          resolve({ status: response.statusCode ?? 0, headers: answered, body });
        });
      });
      request.on('error', reject);
    });
  }
}

test('Python authlib, with the guide code, signs a user in with PKCE', { timeout: 60_000 }, async () => {
  const check = spawnSync(PYTHON, ['-c', 'import authlib, requests'], { encoding: 'utf8' });
  requirePeer(check.status === 0, `Python authlib (${PYTHON}: ${check.error?.message ?? check.stderr.trim()})`, 'python3-authlib python3-requests');
  const redirectUri = 'http://localhost:4998/callback';
  const module = await grantedModule(server, operator.agent, root.companyId, { name: 'Python App', redirectUris: [redirectUri] });

  const script = join(workDir, 'sign_in.py');
  // The guide's code as it is, then a driver: print the URL, read where the browser came back.
  await writeFile(
    script,
    `${guideBlock('authlib')}


if __name__ == '__main__':
    import json
    import sys
    session = {}
    print(start_sign_in(session), flush=True)
    claims = finish_sign_in(session, sys.stdin.readline().strip())
    print(json.dumps(dict(claims)), flush=True)
`,
  );
  const python = spawn(PYTHON, [script], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      GATEHOUSE_ISSUER: `${server.baseUrl}/oidc`,
      GATEHOUSE_CLIENT_ID: module.module.clientId,
      GATEHOUSE_CLIENT_SECRET: module.clientSecret as string,
      MODULE_REDIRECT_URI: redirectUri,
    },
  });
  processes.push(python);
  let stderr = '';
  python.stderr?.on('data', (chunk) => (stderr += chunk));
  const lines = createInterface({ input: python.stdout as NodeJS.ReadableStream })[Symbol.asyncIterator]();
  const nextLine = async () => {
    const line = await lines.next();
    assert.ok(!line.done, `the script ended early: ${stderr}`);
    return line.value as string;
  };

  const authorizationUrl = new URL(await nextLine());
  assert.equal(authorizationUrl.searchParams.get('code_challenge_method'), 'S256');
  const walk = await followRedirects(root.agent, authorizationUrl, 'http://localhost:4998');
  assert.ok(walk.callback, `ended at ${walk.at} with ${walk.final?.status}`);
  python.stdin?.end(`${walk.callback}\n`);
  const claims = JSON.parse(await nextLine()) as Record<string, unknown>;
  assert.equal(claims.preferred_username, root.username);
  assert.deepEqual(claims.company, { id: root.companyId, name: root.companyName });
  assert.match(String(claims.sub), new RegExp(`^${root.companyId}\\.`));
  await new Promise((resolve) => (python.exitCode !== null ? resolve(null) : python.once('exit', resolve)));
  assert.equal(python.exitCode, 0, stderr);
});

// Production runs the JavaScript that `npm run build:server` emits, not the .ts sources
// (docs/OPERATIONS.md). This builds it, starts `gatehouse serve` from the build on two
// workers the way the systemd unit does, and uses it: the web app from web/dist, the API,
// a first sign-up and log-in. Node runs it with type stripping off, so a .ts module loaded
// by the primary or a worker (a path the build did not rewrite) fails the start loudly.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Agent } from '../helpers/agent.ts';
import { STRONG_PASSWORD, tokenFromLink } from '../helpers/journey.ts';
import { startNodeProcess, type NodeProcess } from '../helpers/node-process.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const NO_TYPESCRIPT = '--no-experimental-strip-types';

describe('the compiled server (npm run build:server)', () => {
  let buildDir: string;
  let cli: string;
  let node: NodeProcess;
  before(async () => {
    // Under test-output/ (inside the repository, so the build finds node_modules and web/dist
    // as dist/ does) rather than dist/ itself, which a running `npm start` may be using.
    mkdirSync(path.join(ROOT, 'test-output'), { recursive: true });
    buildDir = mkdtempSync(path.join(ROOT, 'test-output', 'compiled-server-'));
    execFileSync(process.execPath, [path.join(ROOT, 'scripts/build-server.ts'), path.relative(ROOT, buildDir)], { stdio: 'pipe' });
    cli = path.join(buildDir, 'src/cli/index.js');
    // As the systemd unit runs it; the banner comes from the first worker, so it also says
    // a worker started from the build.
    node = await startNodeProcess([NO_TYPESCRIPT, cli, 'serve'], { inDataDir: true });
  });
  after(() => {
    node?.cleanUp();
    rmSync(buildDir, { recursive: true, force: true });
  });

  test('the build is JavaScript only, with no .ts import left in it', () => {
    const main = readFileSync(path.join(buildDir, 'src/main.js'), 'utf8');
    assert.match(main, /from "\.\/gatehouse\.js"/);
    assert.doesNotMatch(main, /\.ts"/);
  });

  test('it found the web app: no warning, and the page and its script are served', async () => {
    assert.doesNotMatch(node.output(), /web app is not built/, node.output());
    const page = await fetch(`${node.baseUrl}/login`);
    assert.equal(page.status, 200);
    const html = await page.text();
    const script = /<script type="module"[^>]* src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    assert.ok(script, `the web app's index.html, not another page:\n${html.slice(0, 500)}`);
    const asset = await fetch(node.baseUrl + script);
    assert.equal(asset.status, 200);
    assert.match(asset.headers.get('content-type') ?? '', /javascript/);
  });

  test('the API answers: health, the Sign Up link, setting the first password, logging in', async () => {
    assert.equal((await fetch(`${node.baseUrl}/readyz`)).status, 200);
    const link = /http:\/\/\S+\/signup\/[A-Za-z0-9_-]{43}/.exec(node.output())?.[0] as string;
    const token = tokenFromLink(link);
    const agent = new Agent(node.baseUrl);
    const described = await agent.get(`/api/signup/${token}`);
    assert.equal(described.status, 200, JSON.stringify(described.body));
    assert.equal(described.body.username, 'admin');
    // The common-password check runs on its own thread, from the build's own file.
    const common = await agent.post('/api/signup', { token, password: 'Password1!', confirm: 'Password1!' });
    assert.equal(common.status, 400, JSON.stringify(common.body));
    assert.equal(common.body.error.code, 'password.too_common');
    const signedUp = await agent.post('/api/signup', { token, password: STRONG_PASSWORD, confirm: STRONG_PASSWORD });
    assert.equal(signedUp.status, 200, JSON.stringify(signedUp.body));
    assert.equal((await agent.post('/api/login/identify', { username: 'admin', companyName: 'Gatehouse' })).status, 200);
    const password = await agent.post('/api/login/password', { password: STRONG_PASSWORD });
    assert.equal(password.status, 200, JSON.stringify(password.body));
    assert.equal(password.body.step, 'enroll');
  });

  test("the compiled CLI reads the package's version", () => {
    const version = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version as string;
    const printed = execFileSync(process.execPath, [NO_TYPESCRIPT, cli, '--version'], { encoding: 'utf8' });
    assert.match(printed, new RegExp(`^gatehouse ${version.replaceAll('.', '\\.')} `));
  });

  test('SIGTERM stops the primary and its workers cleanly', async () => {
    await node.stop();
    assert.deepEqual(node.exited(), { code: 0, signal: null }, node.output());
  });
});

// What an operator meets at start-up with a setting slightly off. docs/CONFIG.md: "An
// invalid value stops the start with a message naming each variable at fault", and spaces
// around a value are no different value (PORT=" 8080 " is 8080). Each of these started
// anyway, or stopped without naming the variable (src/config.ts). Found by an audit of
// operations.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort } from '../helpers/net.ts';
import { TEST_SECRET_KEY } from '../helpers/server.ts';
import { until } from '../helpers/until.ts';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

/** Starts main.ts with `env` over a clean environment; resolves once it printed its banner or exited. */
async function start(env: Record<string, string>) {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(GATEHOUSE_|PORT$|HOST$|NODE_OPTIONS$)/.test(key)));
  const child = spawn(process.execPath, [MAIN], {
    env: { ...inherited, GATEHOUSE_DEMO_MODULE: 'off', GATEHOUSE_LOG_LEVEL: 'warn', GATEHOUSE_LOG_FORMAT: 'pretty', HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let exited: number | null | undefined;
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.once('exit', (code) => (exited = code));
  after(() => {
    if (exited === undefined) child.kill('SIGKILL');
  });
  await until(() => exited !== undefined || output.includes('Then log in with Username'), 'the node to start or fail', 120_000);
  return { output: () => output, exited: () => exited };
}

function dataDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gatehouse-audit-ops-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('a platform name with an invisible character is refused naming GATEHOUSE_PLATFORM_NAME', async () => {
  const node = await start({
    PORT: String(await freePort()),
    GATEHOUSE_DATA_DIR: dataDir(),
    GATEHOUSE_SECRET_KEY: TEST_SECRET_KEY,
    // A zero-width space, as pasted from a web page or a chat.
    GATEHOUSE_PLATFORM_NAME: 'Example\u200BOperators',
  });
  assert.equal(node.exited(), 1, node.output());
  // Seen: "Gatehouse could not start: Some fields need your attention." and nothing else.
  assert.match(node.output(), /GATEHOUSE_PLATFORM_NAME/, node.output());
});

test('PORT=0 (any free port) without a public URL is refused naming PORT: links would name port 0', async () => {
  const node = await start({ PORT: '0', GATEHOUSE_DATA_DIR: dataDir(), GATEHOUSE_SECRET_KEY: TEST_SECRET_KEY });
  assert.equal(node.exited(), 1, node.output());
  assert.match(node.output(), /PORT: 0 \(any free port\) needs GATEHOUSE_PUBLIC_URL/, node.output());
  assert.doesNotMatch(node.output(), /localhost:0/);
});

test('a trailing space after GATEHOUSE_DATA_DIR does not start a new, empty installation beside the real one', async () => {
  const dir = dataDir();
  const node = await start({ PORT: String(await freePort()), GATEHOUSE_DATA_DIR: `${dir} `, GATEHOUSE_SECRET_KEY: TEST_SECRET_KEY });
  after(() => rmSync(`${dir} `, { recursive: true, force: true }));
  // Seen: a folder "<dir> " (with the space) is made, with a new empty database and a new first-operator link.
  assert.ok(!existsSync(`${dir} `), `started on a new database in "${dir} ":\n${node.output()}`);
});

test('an SMTP URL mail cannot be sent with is refused at start, naming GATEHOUSE_SMTP_URL', async () => {
  // A password with an unencoded "#" (docs/CONFIG.md asks for percent-encoding; people forget),
  // and a URL with no host at all. Seen: the node starts, and every mail then fails ("Invalid
  // URL") or goes to localhost, retried for a day before it is given up.
  for (const url of ['smtp://gatehouse:p#ss@smtp.example.com:587', 'smtp://']) {
    const node = await start({ PORT: String(await freePort()), GATEHOUSE_DATA_DIR: dataDir(), GATEHOUSE_SECRET_KEY: TEST_SECRET_KEY, GATEHOUSE_SMTP_URL: url });
    assert.equal(node.exited(), 1, `${url}: started anyway:\n${node.output()}`);
    assert.match(node.output(), /GATEHOUSE_SMTP_URL/, node.output());
  }
});

test('a proxy range of every address is refused naming GATEHOUSE_TRUST_PROXY, as "true" is', async () => {
  for (const value of ['0.0.0.0/0', '10.0.0.0/8, ::/0']) {
    const node = await start({ PORT: String(await freePort()), GATEHOUSE_DATA_DIR: dataDir(), GATEHOUSE_SECRET_KEY: TEST_SECRET_KEY, GATEHOUSE_TRUST_PROXY: value });
    assert.equal(node.exited(), 1, `${value}: started anyway:\n${node.output()}`);
    assert.match(node.output(), /GATEHOUSE_TRUST_PROXY: .*every address/, node.output());
  }
});

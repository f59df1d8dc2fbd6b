// The gatehouse command run for real, as a child process on a fresh SQLite data folder:
// what an operator types, what they read back, and the exit status scripts rely on.
import assert from 'node:assert/strict';
import { cleanEnv, runCli } from '../../test/helpers/cli.ts';
import { freePort } from '../../test/helpers/net.ts';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { scriptedSmtp } from '../../test/helpers/smtp-scripted.ts';
import { submitAccountRequest } from '../companies/index.ts';
import { loadConfig } from '../config.ts';
import { openStorage } from '../storage/index.ts';

const CLI = fileURLToPath(new URL('./index.ts', import.meta.url));
const HOUR = 3_600_000;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describe('the gatehouse command', () => {
  let dataDir: string;
  let env: NodeJS.ProcessEnv;

  before(() => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'gatehouse-cli-'));
    // Only our settings: a developer's own GATEHOUSE_* variables must not leak in.
    env = cleanEnv();
    env.GATEHOUSE_DATA_DIR = dataDir;
    env.GATEHOUSE_LOG_LEVEL = 'warn';
    // `serve` on the embedded default would also start the demo module on port 3001.
    env.GATEHOUSE_DEMO_MODULE = 'off';
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  const gatehouse = (args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<Run> => runCli(args, { ...env, ...extraEnv });

  /** The user's password, as their Sign Up link would set it (no server runs here), or back to none. */
  async function setPasswordOf(username: string, passwordHash: string | null = 'set-by-test') {
    const storage = await openStorage(loadConfig({ GATEHOUSE_DATA_DIR: dataDir }).database);
    try {
      await storage.db.updateTable('users').set({ password_hash: passwordHash }).where('username', '=', username).execute();
    } finally {
      await storage.close();
    }
  }

  async function submitRequest(input: { companyName: string; email: string }, ageMs: number) {
    const storage = await openStorage(loadConfig({ GATEHOUSE_DATA_DIR: dataDir }).database);
    try {
      const row = await submitAccountRequest(
        storage.db,
        { ...input, contactName: 'Dana Root', phone: '+1 555 0100' },
        'public',
        Date.now() - ageMs,
      );
      return row.id;
    } finally {
      await storage.close();
    }
  }

  test('--help lists every command and exits 0', async () => {
    const run = await gatehouse(['--help']);
    assert.equal(run.code, 0, run.stderr);
    for (const name of ['serve', 'migrate', 'operator create', 'requests approve', 'mail show', 'backup']) {
      assert.ok(run.stdout.includes(name), `help mentions ${name}`);
    }
    const approveHelp = await gatehouse(['requests', 'approve', '--help']);
    assert.equal(approveHelp.code, 0);
    assert.match(approveHelp.stdout, /^Usage: gatehouse requests approve ID \[--username NAME\]/);
  });

  test('bad usage exits 2 and says what is wrong', async () => {
    const cases: Array<[string[], RegExp]> = [
      [[], /Usage: gatehouse <command>/],
      [['frobnicate'], /unknown command "frobnicate"/],
      [['requests'], /requests list/],
      [['requests', 'approve'], /Missing ID\.[\s\S]*Usage: gatehouse requests approve ID/],
      [['requests', 'list', '--status', 'maybe'], /--status: use pending, approved, rejected or all/],
      // The whole usage, not its first line: the options a wrapped usage names on its next lines too.
      [['requests', 'list', '--bogus'], /Unknown option '--bogus'[\s\S]*\[--search TEXT\]\n +\[--limit N \[--cursor CURSOR\]\] \[--json\]\nRun "gatehouse requests list --help"/],
      [['requests', 'list', '--limit', '501'], /--limit: at most 500\./],
      [['requests', 'list', '--limit', '-1'], /Option --limit needs a value \(one that starts with "-" is written --limit=VALUE\)/],
      [['requests', 'list', '--limit=-1'], /--limit: /],
      [['requests', 'list', '--cursor', 'not-a-cursor'], /--cursor: not a cursor from a previous page/],
      [['requests', 'reject', 'abcd1234'], /Missing --reason/],
      [['requests', 'approve', 'not-an-id!'], /is not a valid account request id/],
      [['mail', 'show', 'xyz'], /is not a valid message id/],
      [['operator', 'create', '--username', 'x', '--email', 'a@b.example'], /--username: use 2-64 letters/i],
      [['operator', 'create', '--username', 'jane', '--email', 'nope'], /--email: not a valid email address/],
      [['backup'], /Missing --out/],
    ];
    // A few at a time: a dozen Node processes at once on a busy 2-core machine would
    // measure the machine, not the command.
    const runs: Run[] = [];
    for (let start = 0; start < cases.length; start += 3) {
      runs.push(...(await Promise.all(cases.slice(start, start + 3).map(([args]) => gatehouse(args)))));
    }
    for (const [index, [args, expected]] of cases.entries()) {
      const run = runs[index] as Run;
      assert.equal(run.code, 2, `gatehouse ${args.join(' ')} exits 2 (got ${run.code}: ${run.stderr})`);
      assert.match(run.stderr, expected, `gatehouse ${args.join(' ')}`);
    }
    assert.ok(!existsSync(path.join(dataDir, 'gatehouse.db')), 'bad usage never opens the database');
  });

  test('migrate applies the schema once', async () => {
    const first = await gatehouse(['migrate']);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /Applied \d+ migrations?: 0001_initial/);
    const second = await gatehouse(['migrate']);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /up to date/);
  });

  test('operator setup-link and operator create print one-time Sign Up links', async () => {
    const setup = await gatehouse(['operator', 'setup-link']);
    assert.equal(setup.code, 0, setup.stderr);
    assert.match(setup.stdout, /http:\/\/localhost:3000\/signup\/[A-Za-z0-9_-]{43}/);
    assert.match(setup.stdout, /Username "admin" and Company Name "Gatehouse"/);

    // Operators are added once the first one is in.
    const early = await gatehouse(['operator', 'create', '--username', 'jane', '--email', 'jane@example.com', '--name', 'Jane Doe']);
    assert.equal(early.code, 1);
    assert.match(early.stderr, /Set up the first operator first/);
    await setPasswordOf('admin');

    const created = await gatehouse(['operator', 'create', '--username', 'jane', '--email', 'jane@example.com', '--name', 'Jane Doe']);
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /\/signup\/[A-Za-z0-9_-]{43}/);
    assert.match(created.stdout, /Username "jane" and Company Name "Gatehouse"/);

    const again = await gatehouse(['operator', 'create', '--username', 'Jane', '--email', 'jane@example.com']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already an operator with the username "Jane"/);
    // Back to a platform no operator has signed up to, which the start below prints a link for.
    await setPasswordOf('admin', null);
  });

  test('requests: list with age and urgency, approve with the welcome mail, reject with a reason', async () => {
    const acme = await submitRequest({ companyName: 'Acme Managed IT', email: 'dana@acme.example' }, 50 * HOUR);
    const beta = await submitRequest({ companyName: 'Beta Tech', email: 'bo@beta.example' }, 30 * HOUR);

    const listed = await gatehouse(['requests', 'list']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /Acme Managed IT .*OVERDUE/);
    assert.match(listed.stdout, /Beta Tech .*due \(over 24 h\)/);
    assert.match(listed.stdout, /2d 2h/);
    assert.match(listed.stdout, /2 pending, 1 overdue, 1 due/);

    const json = await gatehouse(['requests', 'list', '--json']);
    const requests = JSON.parse(json.stdout).requests as Array<{ id: string; urgency: string }>;
    assert.deepEqual(
      requests.map((r) => [r.id, r.urgency]),
      [
        [acme, 'overdue'],
        [beta, 'due'],
      ],
    );

    // A prefix of the id is enough, as in git.
    const approved = await gatehouse(['requests', 'approve', acme.slice(0, 8), '--username', 'dana']);
    assert.equal(approved.code, 0, approved.stderr);
    assert.match(approved.stdout, /company "Acme Managed IT" created, with Root Master "dana"/);
    assert.match(approved.stdout, /"Welcome to Gatehouse" is in the local mailbox/);

    const twice = await gatehouse(['requests', 'approve', acme]);
    assert.equal(twice.code, 1);
    assert.match(twice.stderr, /already been decided/);

    const rejected = await gatehouse(['requests', 'reject', beta, '--reason', 'Not a managed service provider']);
    assert.equal(rejected.code, 0, rejected.stderr);
    const decided = await gatehouse(['requests', 'list', '--status', 'rejected']);
    assert.match(decided.stdout, /Beta Tech .*rejected: Not a managed service provider/);
    const pending = await gatehouse(['requests', 'list']);
    assert.match(pending.stdout, /No pending account requests/);

    const missing = await gatehouse(['requests', 'approve', '00000000-0000-4000-8000-000000000000']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /No account request has the id/);
  });

  test('mail list shows the welcome mail, and mail show prints it with its Sign Up link', async () => {
    const listed = await gatehouse(['mail', 'list']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /local mailbox/);
    assert.match(listed.stdout, /dana@acme\.example +Welcome to Gatehouse +in mailbox/);

    const messages = JSON.parse((await gatehouse(['mail', 'list', '--json'])).stdout).messages as Array<{ id: string; subject: string; status: string }>;
    const welcome = messages.find((m) => m.subject === 'Welcome to Gatehouse');
    assert.equal(welcome?.status, 'sent');

    const shown = await gatehouse(['mail', 'show', (welcome as { id: string }).id]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /^From: Gatehouse <noreply@localhost>$/m);
    assert.match(shown.stdout, /^To: dana@acme\.example$/m);
    assert.match(shown.stdout, /^Subject: Welcome to Gatehouse$/m);
    assert.match(shown.stdout, /Your username is dana\./);
    assert.match(shown.stdout, /http:\/\/localhost:3000\/signup\/[A-Za-z0-9_-]{43}/);
  });

  test('backup writes a SQLite copy that opens and holds the companies', async () => {
    const out = path.join(dataDir, 'backup.db');
    const run = await gatehouse(['backup', '--out', out]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /Backed up .* to .*backup\.db/);
    assert.match(run.stdout, /secret key/);
    assert.equal(statSync(out).mode & 0o777, 0o600, 'readable by its owner only');

    const copy = new DatabaseSync(out, { readOnly: true });
    try {
      const names = copy.prepare('select name from companies order by name').all().map((row) => row.name);
      assert.deepEqual(names, ['Acme Managed IT', 'Gatehouse']);
      assert.equal(copy.prepare('pragma integrity_check').get()?.integrity_check, 'ok');
    } finally {
      copy.close();
    }

    const again = await gatehouse(['backup', '--out', out]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already exists/);

    const postgres = await gatehouse(['backup', '--out', path.join(dataDir, 'pg.db')], {
      GATEHOUSE_DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
    });
    assert.equal(postgres.code, 1);
    assert.match(postgres.stderr, /pg_dump/);
    assert.match(postgres.stderr, /docs\/OPERATIONS\.md/);
  });

  test('keys rotate replaces the signing keys; --now drops the previous ones at once', async () => {
    const kids = async () => {
      const storage = await openStorage(loadConfig({ GATEHOUSE_DATA_DIR: dataDir }).database);
      try {
        return (await storage.db.selectFrom('signing_keys').select('kid').execute()).map((row) => row.kid);
      } finally {
        await storage.close();
      }
    };
    // Twice: the second rotation retires keys the first made.
    await gatehouse(['keys', 'rotate']);
    const run = await gatehouse(['keys', 'rotate']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /New signing keys are published; running servers sign with them from /);
    assert.match(run.stdout, /stay published for 1 day/);
    const published = await kids();
    assert.ok(published.length >= 4, 'the retired keys are kept for their grace period');

    const now = await gatehouse(['keys', 'rotate', '--now']);
    assert.equal(now.code, 0, now.stderr);
    assert.match(now.stdout, /New signing keys are active/);
    assert.match(now.stdout, /Removed the previous keys at once/);
    for (const kid of published) assert.ok(now.stdout.includes(kid), `names ${kid}`);
    const left = await kids();
    assert.equal(left.length, 2, 'only the two new keys remain');
    assert.ok(left.every((kid) => !published.includes(kid)));

    const help = await gatehouse(['keys', 'rotate', '--help']);
    assert.match(help.stdout, /^Usage: gatehouse keys rotate \[--now\]/);
  });

  test('serve starts the portal and stops on SIGTERM', async () => {
    const port = await freePort();
    // Readable logs, as at a terminal: with JSON logs the banner names the command instead of the link.
    const child = spawn(process.execPath, [CLI, 'serve'], { env: { ...env, PORT: String(port), GATEHOUSE_LOG_FORMAT: 'pretty' }, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      let output = '';
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`serve did not start:\n${output}`)), 30_000);
        child.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          if (output.includes('Gatehouse is running')) {
            clearTimeout(timer);
            resolve();
          }
        });
        child.once('exit', () => reject(new Error(`serve exited:\n${output}`)));
      });
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      assert.equal(health.status, 200);
      // No operator has a password yet, so the start prints the first operator's link.
      assert.match(output, /No operator has signed up yet[\s\S]*\/signup\/[A-Za-z0-9_-]{43}/);
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0);
  });

  test('links from the CLI use the address the server started with, whatever the shell', async () => {
    // The serve test above started the server on another port; this shell has no PORT.
    const link = await gatehouse(['operator', 'setup-link']);
    assert.equal(link.code, 0, link.stderr);
    const [url] = /http:\/\/\S+\/signup\/[A-Za-z0-9_-]{43}/.exec(link.stdout) ?? [];
    assert.ok(url, link.stdout);
    assert.notEqual(new URL(url).port, '3000', 'not the default port of this shell');

    const elsewhere = await gatehouse(['operator', 'setup-link'], { GATEHOUSE_PUBLIC_URL: 'https://portal.example.com' });
    assert.equal(elsewhere.code, 1);
    assert.match(elsewhere.stderr, /GATEHOUSE_PUBLIC_URL here is https:\/\/portal\.example\.com, but the server last started with http:\/\/localhost:\d+/);
  });

  test('operator setup-link fails once an operator has a password, so scripts notice', async () => {
    await setPasswordOf('jane');
    const run = await gatehouse(['operator', 'setup-link']);
    assert.equal(run.code, 1);
    assert.match(run.stdout, /already set a password/);
    assert.doesNotMatch(run.stdout, /\/signup\//);
  });

  // Last: the companies it makes would change what the tests above count.
  // The command delivers the welcome mail before it returns; what it then says must be
  // what the outbox will do: retry a mail server that is not taking mail just now, never
  // one that refused the address for good (a 5xx to RCPT TO is final).
  test('approve says whether an undelivered welcome mail will be retried or failed for good', async () => {
    const smtp = await scriptedSmtp();
    try {
      const cases = [
        ['Gamma Refused', 'no-one@gamma.example', { rcpt: { code: 550, text: '5.1.1 no such user' } }, /failed for good: .*550[\s\S]*will not be retried[\s\S]*Resend welcome/],
        ['Delta Later', 'ops@delta.example', { rcpt: { code: 451, text: '4.3.0 try again later' } }, /is not delivered yet: .*451[\s\S]*retries it with backoff/],
      ] as const;
      for (const [companyName, email, script, said] of cases) {
        smtp.answer(script);
        const id = await submitRequest({ companyName, email }, HOUR);
        const approved = await gatehouse(['requests', 'approve', id], { GATEHOUSE_SMTP_URL: smtp.url });
        assert.equal(approved.code, 0, approved.stderr);
        assert.match(approved.stderr, said, companyName);
      }
    } finally {
      await smtp.close();
    }
  });

});

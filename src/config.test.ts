import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig } from './config.ts';

test('the embedded default: SQLite in ./data, localhost:3000, local mailbox', () => {
  const config = loadConfig({});
  assert.equal(config.port, 3000);
  assert.equal(config.publicUrl.origin, 'http://localhost:3000');
  assert.equal(config.database.kind, 'sqlite');
  assert.match(config.database.kind === 'sqlite' ? config.database.file : '', /data[/\\]gatehouse\.db$/);
  assert.equal(config.smtpUrl, undefined);
  assert.equal(config.secureCookies, false);
  assert.ok(Object.isFrozen(config));
});

test('a postgres:// URL switches to PostgreSQL and https turns on secure cookies', () => {
  const config = loadConfig({
    GATEHOUSE_DATABASE_URL: 'postgres://gh@db.internal:5432/gatehouse',
    GATEHOUSE_PUBLIC_URL: 'https://id.example.com',
  });
  assert.equal(config.database.kind, 'postgres');
  assert.equal(config.secureCookies, true);
});

test('invalid settings stop start-up with a message naming each variable', () => {
  assert.throws(
    () => loadConfig({ PORT: 'eighty', GATEHOUSE_PUBLIC_URL: 'ftp://x', GATEHOUSE_DATABASE_URL: 'mysql://x' }),
    (error: unknown) =>
      error instanceof ConfigError &&
      /PORT/.test(error.message) &&
      /GATEHOUSE_PUBLIC_URL/.test(error.message) &&
      /GATEHOUSE_DATABASE_URL/.test(error.message),
  );
  assert.throws(() => loadConfig({ GATEHOUSE_PUBLIC_URL: 'https://id.example.com/portal' }), /without path/);
  assert.throws(() => loadConfig({ GATEHOUSE_SECRET_KEY: 'short' }), /GATEHOUSE_SECRET_KEY/);
  assert.throws(() => loadConfig({ GATEHOUSE_TLS_CERT_FILE: '/x.pem' }), /go together/);
});

test("requests to companies' OpenID Connect providers reach private networks only as configured", () => {
  assert.deepEqual(loadConfig({}).ssoPrivateNetworks, ['127.0.0.0/8', '::1/128'], 'a portal on localhost (development) reaches this machine');
  assert.deepEqual(loadConfig({ GATEHOUSE_PUBLIC_URL: 'https://id.example.com' }).ssoPrivateNetworks, [], 'a production portal reaches only the public Internet');
  assert.deepEqual(loadConfig({ GATEHOUSE_SSO_PRIVATE_NETWORKS: 'none' }).ssoPrivateNetworks, []);
  assert.deepEqual(
    loadConfig({ GATEHOUSE_PUBLIC_URL: 'https://id.example.com', GATEHOUSE_SSO_PRIVATE_NETWORKS: '10.20.0.0/16, 192.168.1.5, uniquelocal' }).ssoPrivateNetworks,
    ['10.20.0.0/16', '192.168.1.5/32', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
  );
  assert.throws(() => loadConfig({ GATEHOUSE_SSO_PRIVATE_NETWORKS: '10.0.0.0/33' }), /GATEHOUSE_SSO_PRIVATE_NETWORKS/);
});

test('every variable: empty or blank is unset (the default); numbers take decimal digits only', () => {
  const blank = loadConfig({ PORT: '', GATEHOUSE_METRICS_PORT: ' ', GATEHOUSE_WORKERS: '', GATEHOUSE_LINK_TTL_HOURS: '', GATEHOUSE_AUDIT_RETENTION_DAYS: '' });
  assert.equal(blank.port, 3000, 'PORT= is the default port, not "any port"');
  assert.equal(blank.publicUrl.origin, 'http://localhost:3000');
  assert.equal(blank.metrics.port, undefined, 'GATEHOUSE_METRICS_PORT= opens no metrics listener');
  assert.equal(blank.workers, 1);
  assert.equal(blank.linkTtlMs, 7 * 24 * 3_600_000);
  assert.equal(blank.auditRetentionDays, undefined);
  // The same rule for every other variable: a blank placeholder in an env file is not set.
  const placeholders = loadConfig({ GATEHOUSE_PUBLIC_URL: '', GATEHOUSE_LOG_FORMAT: ' ', GATEHOUSE_MAIL_FROM: '', GATEHOUSE_SMTP_URL: '', GATEHOUSE_DATABASE_URL: '', GATEHOUSE_SECRET_KEY: '' });
  assert.equal(placeholders.publicUrl.origin, 'http://localhost:3000');
  assert.equal(placeholders.logFormat === 'json' || placeholders.logFormat === 'pretty', true);
  assert.equal(placeholders.mailFrom, 'Gatehouse <noreply@localhost>');
  assert.equal(placeholders.smtpUrl, undefined);
  assert.equal(placeholders.database.kind, 'sqlite');
  assert.equal(placeholders.secretKey, undefined);
  assert.equal(loadConfig({ PORT: ' 8080 ' }).port, 8080);
  for (const [name, value] of [['PORT', '0x50'], ['PORT', '1e3'], ['PORT', '-1'], ['PORT', '80.5'], ['GATEHOUSE_METRICS_PORT', '0b1'], ['GATEHOUSE_API_RATE_LIMIT', 'Infinity']] as const) {
    assert.throws(() => loadConfig({ [name]: value }), new RegExp(`${name}: must be a whole number in decimal digits`), `${name}=${value}`);
  }
  assert.throws(() => loadConfig({ PORT: '70000' }), /PORT: must be at most 65535/);
});

test('sender, metrics token and public URL: refused when they cannot work or would leak', () => {
  for (const from of ['noreply@example.com', 'Example IT <noreply@example.com>', '"Example, Inc." <noreply@example.com>']) {
    assert.equal(loadConfig({ GATEHOUSE_MAIL_FROM: from }).mailFrom, from);
  }
  for (const from of ['abc', 'Gatehouse <noreply@example.com>\r\nBcc: victim@example.com', 'a@example.com, b@example.com']) {
    assert.throws(() => loadConfig({ GATEHOUSE_MAIL_FROM: from }), /GATEHOUSE_MAIL_FROM/, JSON.stringify(from));
  }
  assert.throws(() => loadConfig({ GATEHOUSE_METRICS_TOKEN: `${'a'.repeat(20)} ${'b'.repeat(20)}` }), /GATEHOUSE_METRICS_TOKEN: must not contain spaces/);
  // Blank is unset, as for every variable: no token, so no /metrics on the public port.
  assert.equal(loadConfig({ GATEHOUSE_METRICS_TOKEN: ' '.repeat(40) }).metrics.token, undefined);
  assert.throws(() => loadConfig({ GATEHOUSE_PUBLIC_URL: 'https://user:secret@id.example.com' }), /GATEHOUSE_PUBLIC_URL: must not hold a user name or password/);
});

test("a company's totals: users, groups and providers, each its own variable, at least one", () => {
  assert.deepEqual(loadConfig({}).companyTotals, { users: 10_000, groups: 1_000, ssoProviders: 10 });
  const set = loadConfig({ GATEHOUSE_USERS_PER_COMPANY: '25000', GATEHOUSE_GROUPS_PER_COMPANY: '50', GATEHOUSE_SSO_PROVIDERS_PER_COMPANY: '2' });
  assert.deepEqual(set.companyTotals, { users: 25_000, groups: 50, ssoProviders: 2 });
  assert.throws(() => loadConfig({ GATEHOUSE_USERS_PER_COMPANY: '0' }), /GATEHOUSE_USERS_PER_COMPANY: must be at least 1/);
  assert.throws(() => loadConfig({ GATEHOUSE_GROUPS_PER_COMPANY: '1e3' }), /GATEHOUSE_GROUPS_PER_COMPANY/);
  assert.throws(() => loadConfig({ GATEHOUSE_SSO_PROVIDERS_PER_COMPANY: '1001' }), /GATEHOUSE_SSO_PROVIDERS_PER_COMPANY: must be at most 1000/);
});

test('SQLite must be a file: in-memory and empty paths are refused, naming GATEHOUSE_DATABASE_URL', () => {
  // An in-memory database starts empty at every start, and each worker would have its own.
  for (const url of ['sqlite::memory:', 'sqlite:file::memory:', 'sqlite:file:gatehouse.db?mode=memory&cache=shared', 'sqlite:', 'sqlite: ']) {
    assert.throws(() => loadConfig({ GATEHOUSE_DATABASE_URL: url }), /GATEHOUSE_DATABASE_URL: (an in-memory|sqlite: needs a file path)/, url);
  }
  const file = loadConfig({ GATEHOUSE_DATABASE_URL: 'sqlite:/var/lib/gatehouse/gatehouse.db' }).database;
  assert.deepEqual(file, { kind: 'sqlite', file: '/var/lib/gatehouse/gatehouse.db', synchronous: 'full' });
});

test('a misspelt GATEHOUSE_* variable in the environment is named in a warning at start', (t) => {
  const warn = t.mock.method(console, 'warn', () => {});
  process.env.GATEHOUSE_PUBLIC_ULR = 'https://id.example.com';
  t.after(() => delete process.env.GATEHOUSE_PUBLIC_ULR);
  loadConfig();
  assert.ok(warn.mock.calls.some((call) => /GATEHOUSE_PUBLIC_ULR is not a Gatehouse setting/.test(String(call.arguments[0]))));
  assert.ok(!warn.mock.calls.some((call) => /GATEHOUSE_LOG_LEVEL|GATEHOUSE_TEST_/.test(String(call.arguments[0]))), 'known ones are not');
});

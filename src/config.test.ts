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

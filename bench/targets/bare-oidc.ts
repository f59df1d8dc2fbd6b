// The reference: oidc-provider 9.13 alone, as its README configures it (memory adapter,
// opaque tokens), with one confidential client and an RS256 key like Gatehouse's. What
// Gatehouse adds around the same engine is the difference between the two.
// Usage: node bench/targets/bare-oidc.ts <tokens>. The memory adapter is an LRU of 1,000
// entries: keep <tokens> near 100 (a grant, two tokens and an index each) so none is evicted.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import Provider from 'oidc-provider';
import { freePort } from '../../test/helpers/net.ts';
import { announce, serveUntilParentLeaves } from './protocol.ts';

const tokenCount = Number(process.argv[2] ?? '200');
const port = await freePort();
const issuer = `http://127.0.0.1:${port}/oidc`;
const clientId = 'bench-client';
const clientSecret = randomBytes(32).toString('base64url');
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: ['http://127.0.0.1:4999/callback'],
      grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
      response_types: ['code'],
    },
  ],
  jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'bench', alg: 'RS256', use: 'sig' } as never] },
  findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub, name: 'Bench User', email: `${sub}@bench.test`, email_verified: true }) }),
  claims: { openid: ['sub'], profile: ['name'], email: ['email', 'email_verified'] },
  features: {
    devInteractions: { enabled: false },
    introspection: { enabled: true },
    clientCredentials: { enabled: true },
    userinfo: { enabled: true },
  },
  rotateRefreshToken: true,
  issueRefreshToken: async () => true,
  ttl: { AccessToken: 600, ClientCredentials: 600, RefreshToken: 86_400, Grant: 86_400, IdToken: 3600 },
});

// Tokens as a finished authorization code flow leaves them: one grant per user.
const client = await provider.Client.find(clientId);
if (!client) throw new Error('the bench client is missing');
const accessTokens: string[] = [];
const refreshTokens: string[] = [];
const scope = 'openid profile email';
for (let i = 0; i < tokenCount; i++) {
  const accountId = `user${i}`;
  const grant = new provider.Grant({ accountId, clientId });
  grant.addOIDCScope(scope);
  const grantId = await grant.save();
  accessTokens.push(await new provider.AccessToken({ accountId, client, grantId, scope, gty: 'authorization_code' }).save());
  refreshTokens.push(await new provider.RefreshToken({ accountId, client, grantId, scope, gty: 'authorization_code', authTime: Math.floor(Date.now() / 1000) }).save());
}

const mount = '/oidc';
const callback = provider.callback();
const server = createServer((req, res) => {
  // Mounted under /oidc like Gatehouse's, so both serve the same paths.
  if (req.url?.startsWith(mount)) req.url = req.url.slice(mount.length) || '/';
  callback(req, res);
});
await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
announce({
  baseUrl: `http://127.0.0.1:${port}`,
  pid: process.pid,
  oidc: {
    issuer,
    tokenEndpoint: `${issuer}/token`,
    introspectionEndpoint: `${issuer}/token/introspection`,
    userinfoEndpoint: `${issuer}/me`,
    clientId,
    clientSecret,
    accessTokens,
    refreshTokens,
  },
});
serveUntilParentLeaves(() => new Promise<void>((resolve) => server.close(() => resolve())));

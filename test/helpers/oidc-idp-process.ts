// A company's OpenID Connect identity provider for tests: node oidc-provider (the
// certified engine), run in a process of its own by test/helpers/oidc-idp.ts. Its sign-in
// page is replaced by a test hook: whoever the test named last (POST /test/next-user)
// signs in at once, with the amr and acr the test chose. POST /test/hold-token holds the
// next token request until POST /test/release-token (GET /test/token-held says whether one
// is held), so a test can change Gatehouse while a callback waits on the provider.
// Configured by environment:
// IDP_PORT, IDP_CLIENT_ID, IDP_CLIENT_SECRET, IDP_REDIRECT_URI.
import { createServer } from 'node:http';
import Provider from 'oidc-provider';

const port = Number(process.env.IDP_PORT);
const issuer = `http://127.0.0.1:${port}`;
type Person = { sub: string; claims: Record<string, unknown>; amr: string[]; acr?: string };
let next: Person = { sub: 'nobody', claims: {}, amr: ['pwd'] };
const people = new Map<string, Record<string, unknown>>();

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: process.env.IDP_CLIENT_ID as string,
      client_secret: process.env.IDP_CLIENT_SECRET as string,
      redirect_uris: [process.env.IDP_REDIRECT_URI as string],
      grant_types: ['authorization_code'],
      response_types: ['code'],
    },
  ],
  claims: { openid: ['sub', 'acr', 'amr'], profile: ['name', 'preferred_username'], email: ['email', 'email_verified'] },
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: false } },
  cookies: { keys: ['test-idp-cookie-key'], long: { secure: false }, short: { secure: false } },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub, ...people.get(sub) }) }),
});

const callback = provider.callback();
let holdingToken = false;
let heldToken: { release: () => void } | undefined;
createServer(async (req, res) => {
  try {
    if (req.method === 'POST' && req.url === '/test/hold-token') {
      holdingToken = true;
      res.writeHead(204).end();
      return;
    }
    if (req.method === 'GET' && req.url === '/test/token-held') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(heldToken !== undefined));
      return;
    }
    if (req.method === 'POST' && req.url === '/test/release-token') {
      heldToken?.release();
      res.writeHead(204).end();
      return;
    }
    if (req.method === 'POST' && req.url === '/token' && holdingToken) {
      holdingToken = false;
      await new Promise<void>((release) => (heldToken = { release }));
      heldToken = undefined;
    }
    if (req.method === 'POST' && req.url === '/test/next-user') {
      let body = '';
      for await (const chunk of req) body += chunk;
      next = JSON.parse(body) as Person;
      people.set(next.sub, next.claims);
      res.writeHead(204).end();
      return;
    }
    const uid = /^\/interaction\/([^/?]+)/.exec(req.url ?? '')?.[1];
    if (uid) {
      const details = await provider.interactionDetails(req, res);
      const grant = new provider.Grant({ accountId: next.sub, clientId: details.params.client_id as string });
      grant.addOIDCScope('openid profile email');
      const grantId = await grant.save();
      await provider.interactionFinished(
        req,
        res,
        { login: { accountId: next.sub, amr: next.amr, ...(next.acr ? { acr: next.acr } : {}) }, consent: { grantId } },
        { mergeWithLastSubmission: false },
      );
      return;
    }
    callback(req, res);
  } catch (error) {
    res.writeHead(500).end(String(error));
  }
}).listen(port, '127.0.0.1', () => console.log(`listening ${port}`));

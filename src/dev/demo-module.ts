// Development convenience: on the embedded default (SQLite, http on localhost) Gatehouse
// registers the Demo Module (examples/demo-module) and runs it in-process on port 3001,
// so "Log In with Gatehouse" can be tried right after the first start. Never in
// production, never with PostgreSQL or a real public URL; GATEHOUSE_DEMO_MODULE=off
// turns it off.
import type { DemoModule } from '../../examples/demo-module/server.ts';
import { ensurePlatformCompany } from '../companies/index.ts';
import { grantModule, listModules, registerModule, rotateModuleSecret, type ModuleInput } from '../modules/index.ts';
import type { CoreDeps } from '../shared/deps.ts';

export const DEMO_MODULE_PORT = 3001;
export const DEMO_MODULE_URL = `http://localhost:${DEMO_MODULE_PORT}`;

export const DEMO_MODULE: ModuleInput = {
  name: 'Demo Module',
  description: 'A sample application that signs in with Gatehouse (examples/demo-module). Development only.',
  launchUrl: `${DEMO_MODULE_URL}/login`,
  redirectUris: [`${DEMO_MODULE_URL}/callback`],
  postLogoutRedirectUris: [`${DEMO_MODULE_URL}/`],
  backchannelLogoutUri: `${DEMO_MODULE_URL}/backchannel-logout`,
  clientType: 'confidential',
};

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1']);

/** Whether this Gatehouse is the embedded default on this machine, with the demo not switched off. */
export function demoModuleWanted(deps: Pick<CoreDeps, 'config'>, env: NodeJS.ProcessEnv = process.env): boolean {
  const { config } = deps;
  if (env.NODE_ENV === 'production') return false;
  if (['off', 'false', '0', 'no'].includes((env.GATEHOUSE_DEMO_MODULE ?? '').trim().toLowerCase())) return false;
  return config.database.kind === 'sqlite' && config.publicUrl.protocol === 'http:' && LOCAL_HOSTS.has(config.publicUrl.hostname);
}

/**
 * Finds the Demo Module or registers it (granted to the platform company, so operators
 * can try it at once), and gives it a new secret: only the secret's hash is stored, so
 * each start hands a fresh one to the in-process demo. Undefined when not wanted.
 */
export async function ensureDemoModule(
  deps: CoreDeps,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ clientId: string; clientSecret: string } | undefined> {
  if (!demoModuleWanted(deps, env)) return undefined;
  const secretKey = deps.deriveKey('client-secrets');
  const [redirectUri] = DEMO_MODULE.redirectUris;
  const existing = (await listModules(deps.db)).find(
    (m) => m.name === DEMO_MODULE.name && m.client_type === 'confidential' && (JSON.parse(m.redirect_uris) as string[]).includes(redirectUri ?? ''),
  );
  if (existing) {
    // Granted once, when registered: an operator who revoked the grant keeps it revoked.
    const clientSecret = await rotateModuleSecret(deps.db, secretKey, existing.id);
    return { clientId: existing.client_id, clientSecret };
  }
  const platform = await ensurePlatformCompany(deps);
  return deps.db.transaction().execute(async (tx) => {
    const now = deps.clock();
    const { module, clientSecret } = await registerModule(tx, secretKey, DEMO_MODULE, now);
    if (!clientSecret) throw new Error('the Demo Module is confidential but got no secret');
    await grantModule(tx, platform.id, module.id, now);
    return { clientId: module.client_id, clientSecret };
  });
}

/**
 * For `npm start`: ensures the Demo Module and starts it on port 3001. Returns the lines
 * for the start-up banner and a close function; a taken port or any other trouble is a
 * warning, never a reason for Gatehouse not to start.
 */
export async function startDevDemoModule(
  deps: CoreDeps,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ banner: string[]; close(): Promise<void> } | undefined> {
  if (!demoModuleWanted(deps, env)) return undefined;
  let demo: DemoModule;
  try {
    const credentials = await ensureDemoModule(deps, env);
    if (!credentials) return undefined;
    // Loaded only now: the demo uses openid-client, a development dependency that a
    // production install (npm prune --omit=dev) does not have.
    const { startDemoModule } = await import('../../examples/demo-module/server.ts');
    demo = await startDemoModule({
      issuer: `${deps.config.publicUrl.origin}/oidc`,
      clientId: credentials.clientId,
      clientSecret: credentials.clientSecret,
      port: DEMO_MODULE_PORT,
      publicUrl: DEMO_MODULE_URL,
    });
  } catch (error) {
    const inUse = (error as NodeJS.ErrnoException).code === 'EADDRINUSE';
    const reason = inUse ? `port ${DEMO_MODULE_PORT} is in use` : error instanceof Error ? error.message : String(error);
    console.warn(`  Warning: the demo module did not start: ${reason}. Gatehouse runs without it (GATEHOUSE_DEMO_MODULE=off hides this).`);
    return undefined;
  }
  return {
    banner: [`  Demo module: ${demo.url} (grant it to a company in the operator console > Companies > Modules)`],
    close: () => demo.close(),
  };
}

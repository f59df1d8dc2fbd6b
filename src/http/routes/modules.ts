// Modules: operators register them and grant them to companies; a company's Masters
// switch granted modules on or off; everyone sees their launcher tiles.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { getCompany } from '../../companies/index.ts';
import { assertThat, GatehouseError } from '../../errors.ts';
import {
  companyModules,
  getModule,
  grantModule,
  listModules,
  registerModule,
  revokeModuleGrant,
  rotateModuleSecret,
  setModuleEnabled,
} from '../../modules/index.ts';
import type { HttpContext } from '../context.ts';
import { requireOperator, requireSignedIn } from '../guards.ts';
import { parseInput, text } from '../validate.ts';

const url = (label: string) => z.string({ error: `${label} is required.` }).trim().min(1, `${label} is required.`).max(2000);
const moduleSchema = z.object({
  name: text('Name', 100),
  description: z.string().trim().max(500, 'Description can have at most 500 characters.').default(''),
  logoUrl: url('Logo URL').optional(),
  launchUrl: url('Launch URL'),
  redirectUris: z.array(url('Redirect URI')).min(1, 'Add at least one redirect URI.').max(20),
  postLogoutRedirectUris: z.array(url('Post-logout URI')).max(20).default([]),
  backchannelLogoutUri: url('Back-channel logout URI').optional(),
  clientType: z.enum(['confidential', 'public'], { error: 'Choose confidential or public.' }),
  idTokenAlg: z.enum(['RS256', 'ES256'], { error: 'Choose RS256 or ES256.' }).default('RS256'),
});
const idParam = z.object({ id: z.uuid({ error: 'Not found.' }) });
const grantParams = z.object({ id: z.uuid({ error: 'Not found.' }), moduleId: z.uuid({ error: 'Not found.' }) });
const enableSchema = z.object({ enabled: z.boolean({ error: 'Say true or false.' }) });

function moduleView(m: Awaited<ReturnType<typeof listModules>>[number]) {
  return {
    id: m.id,
    clientId: m.client_id,
    name: m.name,
    description: m.description,
    logoUrl: m.logo_url,
    launchUrl: m.launch_url,
    redirectUris: JSON.parse(m.redirect_uris) as string[],
    postLogoutRedirectUris: JSON.parse(m.post_logout_redirect_uris) as string[],
    backchannelLogoutUri: m.backchannel_logout_uri,
    clientType: m.client_type,
    idTokenAlg: m.id_token_alg,
    createdAt: new Date(m.created_at).toISOString(),
  };
}

export function moduleRoutes(app: FastifyInstance, { deps, cookies }: HttpContext) {
  const secretKey = deps.deriveKey('client-secrets');

  app.get('/api/operator/modules', async (request, reply) => {
    await requireOperator(deps, cookies, request, reply);
    return { modules: (await listModules(deps.db)).map(moduleView) };
  });

  app.post('/api/operator/modules', async (request, reply) => {
    await requireOperator(deps, cookies, request, reply);
    const input = parseInput(moduleSchema, request.body);
    const { module, clientSecret } = await registerModule(deps.db, secretKey, input, deps.clock());
    // The secret is shown this once; only its keyed hash is stored.
    return reply.status(201).send({ module: moduleView(module), clientSecret: clientSecret ?? null });
  });

  app.post('/api/operator/modules/:id/rotate-secret', async (request, reply) => {
    await requireOperator(deps, cookies, request, reply);
    const { id } = parseInput(idParam, request.params);
    return { clientSecret: await rotateModuleSecret(deps.db, secretKey, id) };
  });

  app.get('/api/operator/companies/:id/modules', async (request, reply) => {
    await requireOperator(deps, cookies, request, reply);
    const { id } = parseInput(idParam, request.params);
    assertThat(await getCompany(deps.db, id), 'request.not_found');
    const granted = await companyModules(deps.db, id);
    return { modules: granted.map((m) => ({ id: m.id, name: m.name, enabled: m.enabled === 1 })) };
  });

  app.post('/api/operator/companies/:id/modules/:moduleId/grant', async (request, reply) => {
    await requireOperator(deps, cookies, request, reply);
    const { id, moduleId } = parseInput(grantParams, request.params);
    assertThat((await getCompany(deps.db, id)) && (await getModule(deps.db, moduleId)), 'request.not_found');
    await grantModule(deps.db, id, moduleId, deps.clock());
    return {};
  });

  app.post('/api/operator/companies/:id/modules/:moduleId/revoke', async (request, reply) => {
    await requireOperator(deps, cookies, request, reply);
    const { id, moduleId } = parseInput(grantParams, request.params);
    await deps.db.transaction().execute((tx) => revokeModuleGrant(tx, id, moduleId, deps.clock()));
    return {};
  });

  // The launcher: modules this user may open right now.
  app.get('/api/modules', async (request, reply) => {
    const me = await requireSignedIn(deps, cookies, request, reply);
    const granted = await companyModules(deps.db, me.companyId);
    return {
      modules: granted
        .filter((m) => m.enabled === 1)
        .map((m) => ({ id: m.id, name: m.name, description: m.description, logoUrl: m.logoUrl, launchUrl: m.launchUrl })),
    };
  });

  // A company's Masters manage which granted modules their users get.
  app.get('/api/company/modules', async (request, reply) => {
    const me = await requireSignedIn(deps, cookies, request, reply);
    if (me.role === 'user') throw new GatehouseError('auth.forbidden');
    const granted = await companyModules(deps.db, me.companyId);
    return { modules: granted.map((m) => ({ id: m.id, name: m.name, description: m.description, enabled: m.enabled === 1 })) };
  });

  app.post('/api/company/modules/:id', async (request, reply) => {
    const me = await requireSignedIn(deps, cookies, request, reply);
    if (me.role === 'user') throw new GatehouseError('auth.forbidden');
    const { id } = parseInput(idParam, request.params);
    const { enabled } = parseInput(enableSchema, request.body);
    // Scoped by the session's company: another company's module id is simply not found.
    const changed = await deps.db.transaction().execute((tx) => setModuleEnabled(tx, me.companyId, id, enabled, deps.clock()));
    assertThat(changed, 'request.not_found');
    return {};
  });
}

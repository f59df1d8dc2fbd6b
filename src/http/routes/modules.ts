// Modules: operators register and edit them and grant them to companies; a company's Masters
// switch granted modules on or off; everyone sees their launcher tiles.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { idempotencyHeaders } from '../../contract/api-v1.ts';
import { done, idParams, ifMatchHeaders } from '../../contract/common.ts';
import { companyModuleSwitches, enableBody } from '../../contract/company.ts';
import { companyGrants, grantParams, launcher, MODULE_BODY_LIMIT, moduleBody, moduleEditBody, moduleList, moduleRegistered, oneModule, secretRotated } from '../../contract/operator.ts';
import { assertThat } from '../../errors.ts';
import { moduleView } from '../../presenters/index.ts';
import {
  companyModules,
  getModule,
  grantModuleBy,
  grantsOf,
  listModules,
  modulesForUser,
  registerModuleBy,
  revokeModuleGrantBy,
  rotateModuleSecretBy,
  switchCompanyModule,
  updateModuleBy,
  type ModuleChangeBy,
} from '../../modules/index.ts';
import { forAudience, signedInOf } from '../audiences.ts';
import { answerVersion, ifMatchVersions } from '../conditional-saves.ts';
import { requestMeta } from '../guards.ts';
import { idempotentCreates } from '../idempotent-creates.ts';
import type { HttpContext } from '../context.ts';
import type { Queryable } from '../../storage/index.ts';

/** The signed-in person making a module change, as the audit trail names them. */
function personOf(request: FastifyRequest): ModuleChangeBy {
  const me = signedInOf(request);
  const { ip, userAgent } = requestMeta(request);
  return { actorId: me.userId, actorClientId: null, ip, userAgent, named: { actorUsername: me.username } };
}

/** A module as answered, its version named in the ETag too (an edit's If-Match). */
export function versioned<T extends { version: string }>(reply: FastifyReply, module: T): T {
  answerVersion(reply, module.version);
  return module;
}

/**
 * A registration's answer, for the console and /api/v1 alike: the secret is shown this once
 * (only its keyed hash is stored), so a repeat of the same Idempotency-Key is answered the
 * module without it (rotate it for a new one).
 */
export function registeredAnswer(registered: Awaited<ReturnType<typeof registerModuleBy>>) {
  const shown = moduleView(registered.module);
  return { status: 201, body: { module: shown, clientSecret: registered.clientSecret ?? null }, replayBody: { module: shown, clientSecret: null } };
}

/** GET of one module, for the console and /api/v1 alike: unknown is "not found". */
export async function answeredModule(db: Queryable, moduleId: string, reply: FastifyReply) {
  const module = await getModule(db, moduleId);
  assertThat(module, 'request.not_found');
  return { module: versioned(reply, moduleView(module)) };
}

export function moduleRoutes(app: FastifyInstance, ctx: HttpContext) {
  const { deps } = ctx;
  // Keys per signed-in user, as the console's other creates (a page retries a lost answer).
  const idempotent = idempotentCreates(deps, (request) => ({ userId: signedInOf(request).userId }));

  forAudience(app, ctx, 'operator', 'Modules', (api) => {
    api.get('/api/operator/modules', { schema: { summary: 'Registered modules', response: { 200: moduleList } } }, async () => ({
      modules: (await listModules(deps.db)).map(moduleView),
    }));

    api.post(
      '/api/operator/modules',
      {
        bodyLimit: MODULE_BODY_LIMIT,
        config: { sensitive: true },
        schema: {
          summary: 'Register a module (an OpenID Connect client). Takes an Idempotency-Key (a repeat answers the module without its secret)',
          headers: idempotencyHeaders,
          body: moduleBody,
          response: { 201: moduleRegistered },
        },
      },
      async (request, reply) => {
        await idempotent(request, reply, async () => registeredAnswer(await registerModuleBy(deps, request.body, personOf(request))));
      },
    );

    api.get(
      '/api/operator/modules/:id',
      { schema: { summary: 'A registered module (its version in the ETag)', params: idParams, response: { 200: oneModule } } },
      async (request, reply) => answeredModule(deps.db, request.params.id, reply),
    );

    api.post(
      '/api/operator/modules/:id',
      {
        bodyLimit: MODULE_BODY_LIMIT,
        config: { sensitive: true },
        schema: {
          summary:
            "Edit a module: the whole form, as at registration (its client type stays); tokens already issued go on. With If-Match, its version, only if nobody changed it since: else 412",
          params: idParams,
          headers: ifMatchHeaders,
          body: moduleEditBody,
          response: { 200: oneModule },
        },
      },
      async (request, reply) => {
        const module = await updateModuleBy(deps, request.params.id, request.body, personOf(request), ifMatchVersions(request));
        return { module: versioned(reply, moduleView(module)) };
      },
    );

    api.post(
      '/api/operator/modules/:id/rotate-secret',
      { config: { sensitive: true }, schema: { summary: "A new client secret, shown this once (the old one stops working)", params: idParams, response: { 200: secretRotated } } },
      async (request) => ({ clientSecret: await rotateModuleSecretBy(deps, request.params.id, personOf(request)) }),
    );

    api.get(
      '/api/operator/companies/:id/modules',
      { schema: { summary: 'Modules granted to a company', params: idParams, response: { 200: companyGrants } } },
      async (request) => {
        const granted = await grantsOf(deps.db, request.params.id);
        return { modules: granted.map((m) => ({ id: m.id, name: m.name, enabled: m.enabled === 1 })) };
      },
    );

    api.post(
      '/api/operator/companies/:id/modules/:moduleId/grant',
      { config: { sensitive: true }, schema: { summary: 'Grant a module to a company', params: grantParams, response: { 200: done } } },
      async (request) => {
        const { id, moduleId } = request.params;
        await grantModuleBy(deps, id, moduleId, personOf(request));
        return {};
      },
    );

    api.post(
      '/api/operator/companies/:id/modules/:moduleId/revoke',
      { schema: { summary: "Take a module away from a company (its users' module sign-ins end)", params: grantParams, response: { 200: done } } },
      async (request) => {
        const { id, moduleId } = request.params;
        await revokeModuleGrantBy(deps, id, moduleId, personOf(request));
        return {};
      },
    );
  });

  forAudience(app, ctx, 'user', 'Modules', (api) => {
    api.get('/api/modules', { schema: { summary: 'The launcher: modules I may open now', response: { 200: launcher } } }, async (request) => {
      // Switched on for the company, and, where groups decide, one of the user's groups has it.
      const { companyId, userId } = signedInOf(request);
      return {
        modules: (await modulesForUser(deps.db, companyId, userId)).map((m) => ({ id: m.id, name: m.name, description: m.description, logoUrl: m.logoUrl, launchUrl: m.launchUrl })),
      };
    });
  });

  // A company's Masters manage which granted modules their users get.
  forAudience(app, ctx, 'master', 'Modules', (api) => {
    api.get(
      '/api/company/modules',
      { schema: { summary: 'Modules granted to my company, on or off', response: { 200: companyModuleSwitches } } },
      async (request) => {
        const granted = await companyModules(deps.db, signedInOf(request).companyId);
        return { modules: granted.map((m) => ({ id: m.id, name: m.name, description: m.description, enabled: m.enabled === 1 })) };
      },
    );

    api.post(
      '/api/company/modules/:id',
      { schema: { summary: 'Switch a granted module on or off for my company', params: idParams, body: enableBody, response: { 200: done } } },
      async (request) => {
        const { companyId } = signedInOf(request);
        // Scoped by the session's company: another company's module id is simply not found.
        const changed = await deps.db
          .transaction()
          .execute((tx) => switchCompanyModule(tx, deps.clock(), companyId, request.params.id, request.body.enabled, personOf(request)));
        assertThat(changed, 'request.not_found');
        return {};
      },
    );
  });
}

// /api/v1 on modules: the catalogue (register, edit, rotate a secret: platform clients with
// modules:write), a company's grants (modules:write) and its switches, which a company's
// own client may read (modules:read) and flip (modules:switch) as its Masters do. Every
// change is audited with the client as the actor; a client secret is answered once.
import type { FastifyRequest } from 'fastify';
import { companyModuleParams, companyParams, idempotencyHeaders, moduleParams } from '../../contract/api-v1.ts';
import { done, ifMatchHeaders } from '../../contract/common.ts';
import { companyModuleSwitches, enableBody } from '../../contract/company.ts';
import { MODULE_BODY_LIMIT, moduleBody, moduleEditBody, moduleList, moduleRegistered, oneModule, secretRotated } from '../../contract/operator.ts';
import { assertThat } from '../../errors.ts';
import {
  grantModuleBy,
  grantsOf,
  listModules,
  registerModuleBy,
  revokeModuleGrantBy,
  rotateModuleSecretBy,
  switchCompanyModule,
  updateModuleBy,
  type ModuleChangeBy,
} from '../../modules/index.ts';
import { moduleView } from '../../presenters/index.ts';
import { auditActor } from '../../users/index.ts';
import { reachedCompanyOf } from '../api-client-guard.ts';
import { ifMatchVersions } from '../conditional-saves.ts';
import { requestMeta } from '../guards.ts';
import { answeredModule, registeredAnswer, versioned } from './modules.ts';
import { platformClient } from './api-v1-requests.ts';
import { reachAsActor } from './api-v1-tenant.ts';
import type { V1 } from './api-v1.ts';

/** A platform API client changing the module catalogue, as the audit trail names it. */
function clientOf(request: FastifyRequest): ModuleChangeBy {
  const actor = platformClient(request);
  const { ip, userAgent } = requestMeta(request);
  return { actorId: null, actorClientId: actor.apiClientId, ip, userAgent, named: { actorClientName: actor.name } };
}

export function moduleRoutes({ api, deps, idempotent }: V1) {
  api.post(
    '/modules',
    {
      bodyLimit: MODULE_BODY_LIMIT,
      config: { scope: 'modules:write' },
      schema: {
        summary: 'Register a module (an OpenID Connect client); its client secret is answered this once. Takes an Idempotency-Key (a retry answers the module without the secret)',
        headers: idempotencyHeaders,
        body: moduleBody,
        response: { 201: moduleRegistered },
      },
    },
    async (request, reply) => {
      const by = clientOf(request);
      return idempotent(request, reply, async () => registeredAnswer(await registerModuleBy(deps, request.body, by)));
    },
  );

  api.get(
    '/modules/:moduleId',
    { config: { scope: 'modules:read' }, schema: { summary: 'A registered module (platform clients only; its version in the ETag)', params: moduleParams, response: { 200: oneModule } } },
    async (request, reply) => {
      platformClient(request);
      return answeredModule(deps.db, request.params.moduleId, reply);
    },
  );

  api.post(
    '/modules/:moduleId',
    {
      bodyLimit: MODULE_BODY_LIMIT,
      config: { scope: 'modules:write' },
      schema: {
        summary:
          "Edit a module: the whole body, as at registration (its client type stays; a field left out takes its registration default); tokens already issued go on. With If-Match, its version, only if nobody changed it since: else 412",
        params: moduleParams,
        headers: ifMatchHeaders,
        body: moduleEditBody,
        response: { 200: oneModule },
      },
    },
    async (request, reply) => {
      const module = await updateModuleBy(deps, request.params.moduleId, request.body, clientOf(request), ifMatchVersions(request));
      return { module: versioned(reply, moduleView(module)) };
    },
  );

  api.post(
    '/modules/:moduleId/rotate-secret',
    {
      config: { scope: 'modules:write' },
      schema: { summary: 'A new client secret for a module, answered this once (the old one stops working)', params: moduleParams, response: { 200: secretRotated } },
    },
    async (request) => ({ clientSecret: await rotateModuleSecretBy(deps, request.params.moduleId, clientOf(request)) }),
  );

  api.get(
    '/modules',
    { config: { scope: 'modules:read' }, schema: { summary: 'Registered modules (platform clients only)', response: { 200: moduleList } } },
    async (request) => {
      // modules:read is open to company clients for their own switches; the catalogue is not.
      platformClient(request);
      return { modules: (await listModules(deps.db)).map(moduleView) };
    },
  );

  api.get(
    '/companies/:companyId/modules',
    { config: { scope: 'modules:read' }, schema: { summary: 'Modules granted to the company, on or off', params: companyParams, response: { 200: companyModuleSwitches } } },
    async (request) => {
      const { companyId } = reachAsActor(request);
      const granted = await grantsOf(deps.db, companyId);
      return { modules: granted.map((m) => ({ id: m.id, name: m.name, description: m.description, enabled: m.enabled === 1 })) };
    },
  );

  api.post(
    '/companies/:companyId/modules/:moduleId/grant',
    { config: { scope: 'modules:write' }, schema: { summary: 'Grant a module to a company', params: companyModuleParams, response: { 200: done } } },
    async (request) => {
      await grantModuleBy(deps, reachedCompanyOf(request), request.params.moduleId, clientOf(request));
      return {};
    },
  );

  api.post(
    '/companies/:companyId/modules/:moduleId/revoke',
    {
      config: { scope: 'modules:write' },
      schema: { summary: "Take a module away from a company (its users' module sign-ins end)", params: companyModuleParams, response: { 200: done } },
    },
    async (request) => {
      await revokeModuleGrantBy(deps, reachedCompanyOf(request), request.params.moduleId, clientOf(request));
      return {};
    },
  );

  api.post(
    '/companies/:companyId/modules/:moduleId',
    {
      config: { scope: 'modules:switch' },
      schema: { summary: 'Switch a granted module on or off for the company', params: companyModuleParams, body: enableBody, response: { 200: done } },
    },
    async (request) => {
      // A company's own client may switch its company's modules, as its Masters do.
      const actor = reachAsActor(request);
      const { ip, userAgent } = requestMeta(request);
      const by = { ...auditActor(actor), ip, userAgent };
      const changed = await deps.db
        .transaction()
        .execute((tx) => switchCompanyModule(tx, deps.clock(), actor.companyId, request.params.moduleId, request.body.enabled, by));
      assertThat(changed, 'request.not_found');
      return {};
    },
  );
}

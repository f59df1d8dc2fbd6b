// Groups for a company's Masters: create, rename, delete, members, and the modules each
// group may use. The company is the session's: another company's group, user or module
// id is "not found", like a missing one.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { idempotencyHeaders } from '../../contract/api-v1.ts';
import { done, idParams, ifMatchHeaders } from '../../contract/common.ts';
import { groupList, groupMemberBody, groupMemberParams, groupModulesBody, groupNameBody, oneGroup } from '../../contract/groups.ts';
import { addGroupMember, createGroup, deleteGroup, listGroups, removeGroupMember, renameGroup, setGroupModules } from '../../groups/index.ts';
import { groupView } from '../../presenters/index.ts';
import type { UserActor } from '../../users/index.ts';
import { forAudience, signedInOf } from '../audiences.ts';
import type { HttpContext } from '../context.ts';
import { answerVersion, ifMatchVersions } from '../conditional-saves.ts';
import { requestMeta } from '../guards.ts';
import { idempotentCreates } from '../idempotent-creates.ts';

function actorOf(request: FastifyRequest): UserActor {
  const me = signedInOf(request);
  return { kind: 'user', companyId: me.companyId, userId: me.userId, username: me.username, role: me.role };
}

export function groupRoutes(app: FastifyInstance, ctx: HttpContext) {
  const { deps } = ctx;
  // A create's Idempotency-Key, per signed-in user: a retry after a lost answer is answered, not refused as a taken name.
  const idempotent = idempotentCreates(deps, (request) => ({ userId: signedInOf(request).userId }));
  forAudience(app, ctx, 'master', 'Groups', (api) => {
    api.get('/api/company/groups', { schema: { summary: "The company's groups, their members and modules", response: { 200: groupList } } }, async (request) => ({
      groups: (await listGroups(deps.db, signedInOf(request).companyId)).map(groupView),
    }));

    api.post(
      '/api/company/groups',
      { schema: { summary: 'Create a group; takes an Idempotency-Key', headers: idempotencyHeaders, body: groupNameBody, response: { 201: oneGroup } } },
      async (request, reply) => {
        await idempotent(request, reply, async () => {
          const group = await createGroup(deps, actorOf(request), request.body.name, requestMeta(request));
          return { status: 201, body: { group: groupView(group) } };
        });
      },
    );

    api.post(
      '/api/company/groups/:id/rename',
      { schema: { summary: 'Rename a group', params: idParams, body: groupNameBody, response: { 200: oneGroup } } },
      async (request) => ({ group: groupView(await renameGroup(deps, actorOf(request), request.params.id, request.body.name, requestMeta(request))) }),
    );

    api.post(
      '/api/company/groups/:id/delete',
      { schema: { summary: "Delete a group (module sign-ins it alone allowed end)", params: idParams, response: { 200: done } } },
      async (request) => {
        await deleteGroup(deps, actorOf(request), request.params.id, requestMeta(request));
        return {};
      },
    );

    api.post(
      '/api/company/groups/:id/members',
      { schema: { summary: 'Add a user to a group', params: idParams, body: groupMemberBody, response: { 200: oneGroup } } },
      async (request) => ({
        group: groupView(await addGroupMember(deps, actorOf(request), request.params.id, request.body.userId, requestMeta(request))),
      }),
    );

    api.post(
      '/api/company/groups/:id/members/:userId/remove',
      { schema: { summary: 'Remove a user from a group (module sign-ins it alone allowed end)', params: groupMemberParams, response: { 200: oneGroup } } },
      async (request) => ({
        group: groupView(await removeGroupMember(deps, actorOf(request), request.params.id, request.params.userId, requestMeta(request))),
      }),
    );

    api.post(
      '/api/company/groups/:id/modules',
      {
        schema: {
          summary:
            "Choose the group's modules (from the company's granted ones); a module any group has is for those groups' members only. With If-Match, the group's modulesVersion, only if they are still that version: else 412",
          params: idParams,
          headers: ifMatchHeaders,
          body: groupModulesBody,
          response: { 200: oneGroup },
        },
      },
      async (request, reply) => {
        const group = groupView(await setGroupModules(deps, actorOf(request), request.params.id, request.body.moduleIds, requestMeta(request), ifMatchVersions(request)));
        answerVersion(reply, group.modulesVersion);
        return { group };
      },
    );
  });
}

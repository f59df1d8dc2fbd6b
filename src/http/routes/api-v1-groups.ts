// /api/v1 groups of a company: list, create, rename, delete, members, modules. Group
// membership is user administration, so the scopes are users:read and users:write (a
// client that may invite Masters gains nothing new by choosing who sees a module). Each
// route settles the company first (reachAsActor: another company's id is "not found"),
// then calls the console's capability with the API client as a Master.
import { companyParams, idempotencyHeaders } from '../../contract/api-v1.ts';
import { done, ifMatchHeaders } from '../../contract/common.ts';
import { apiGroupMemberParams, apiGroupParams, groupList, groupMemberBody, groupModulesBody, groupNameBody, oneGroup } from '../../contract/groups.ts';
import { addGroupMember, createGroup, deleteGroup, listGroups, removeGroupMember, renameGroup, setGroupModules } from '../../groups/index.ts';
import { groupView } from '../../presenters/index.ts';
import { answerVersion, ifMatchVersions } from '../conditional-saves.ts';
import { requestMeta } from '../guards.ts';
import { reachAsActor } from './api-v1-tenant.ts';
import type { V1 } from './api-v1.ts';

export function groupRoutes({ api, deps, idempotent }: V1) {
  api.get(
    '/companies/:companyId/groups',
    { config: { scope: 'users:read' }, schema: { summary: "A company's groups, their members and modules", params: companyParams, response: { 200: groupList } } },
    async (request) => {
      const { companyId } = reachAsActor(request);
      return { groups: (await listGroups(deps.db, companyId)).map(groupView) };
    },
  );

  api.post(
    '/companies/:companyId/groups',
    { config: { scope: 'users:write', refusals: ['group.name_taken', 'group.too_many'] }, schema: { summary: 'Create a group; takes an Idempotency-Key', params: companyParams, headers: idempotencyHeaders, body: groupNameBody, response: { 201: oneGroup } } },
    async (request, reply) => {
      const actor = reachAsActor(request);
      return idempotent(request, reply, async () => {
        const group = await createGroup(deps, actor, request.body.name, requestMeta(request));
        return { status: 201, body: { group: groupView(group) } };
      });
    },
  );

  api.post(
    '/companies/:companyId/groups/:groupId/rename',
    { config: { scope: 'users:write', refusals: ['group.name_taken'] }, schema: { summary: 'Rename a group', params: apiGroupParams, body: groupNameBody, response: { 200: oneGroup } } },
    async (request) => {
      const actor = reachAsActor(request);
      return { group: groupView(await renameGroup(deps, actor, request.params.groupId, request.body.name, requestMeta(request))) };
    },
  );

  api.post(
    '/companies/:companyId/groups/:groupId/delete',
    { config: { scope: 'users:write' }, schema: { summary: 'Delete a group (module sign-ins it alone allowed end)', params: apiGroupParams, response: { 200: done } } },
    async (request) => {
      await deleteGroup(deps, reachAsActor(request), request.params.groupId, requestMeta(request));
      return {};
    },
  );

  api.post(
    '/companies/:companyId/groups/:groupId/members',
    { config: { scope: 'users:write' }, schema: { summary: 'Add a user to a group', params: apiGroupParams, body: groupMemberBody, response: { 200: oneGroup } } },
    async (request) => {
      const actor = reachAsActor(request);
      return { group: groupView(await addGroupMember(deps, actor, request.params.groupId, request.body.userId, requestMeta(request))) };
    },
  );

  api.post(
    '/companies/:companyId/groups/:groupId/members/:userId/remove',
    {
      config: { scope: 'users:write' },
      schema: { summary: 'Remove a user from a group (module sign-ins it alone allowed end)', params: apiGroupMemberParams, response: { 200: oneGroup } },
    },
    async (request) => {
      const actor = reachAsActor(request);
      return { group: groupView(await removeGroupMember(deps, actor, request.params.groupId, request.params.userId, requestMeta(request))) };
    },
  );

  api.post(
    '/companies/:companyId/groups/:groupId/modules',
    {
      config: { scope: 'users:write' },
      schema: {
        summary:
          "Choose the group's modules (from the company's granted ones); a module any group has is for those groups' members only. With If-Match, the group's modulesVersion, only if they are still that version: else 412",
        params: apiGroupParams,
        headers: ifMatchHeaders,
        body: groupModulesBody,
        response: { 200: oneGroup },
      },
    },
    async (request, reply) => {
      const actor = reachAsActor(request);
      const group = groupView(await setGroupModules(deps, actor, request.params.groupId, request.body.moduleIds, requestMeta(request), ifMatchVersions(request)));
      answerVersion(reply, group.modulesVersion);
      return { group };
    },
  );
}

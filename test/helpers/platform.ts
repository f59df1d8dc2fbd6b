// The platform company (whose users are the operators), for tests that no route naming a
// company by id reaches it: its first operator's Sign Up link as the server prints it,
// and the routes the OpenAPI document lists.
import assert from 'node:assert/strict';
import { firstOperatorSetup, getPlatformCompany } from '../../src/companies/index.ts';
import type { TestServer } from './server.ts';

/**
 * The platform with the first operator's link printed (as at the server's first start) and
 * not yet used: the platform's Root Master has no password. A route that resent the
 * platform's welcome would revoke that link, so a test can check it still opens.
 */
export async function unclaimedPlatform(server: TestServer) {
  const { deps } = server.gatehouse;
  const setup = await firstOperatorSetup(deps);
  assert.ok(setup);
  const platform = await getPlatformCompany(deps.db);
  assert.ok(platform);
  const firstOperator = await deps.db.selectFrom('users').select('id').where('company_id', '=', platform.id).executeTakeFirstOrThrow();
  return { printedLink: setup.url, platformId: platform.id, firstOperatorId: firstOperator.id };
}

/** [method, path] of every operation the OpenAPI document lists under the paths `keep` picks (HEAD left out). */
export async function documentedRoutes(server: TestServer, keep: (path: string) => boolean): Promise<Array<[string, string]>> {
  const document = (await server.agent().get('/api/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
  return Object.entries(document.paths)
    .filter(([path]) => keep(path))
    .flatMap(([path, operations]) => Object.keys(operations).filter((method) => method !== 'head').map((method): [string, string] => [method, path]));
}

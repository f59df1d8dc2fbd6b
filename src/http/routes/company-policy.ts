// The company's security policy, for its Masters and Root Master (a User gets 403). The
// company comes from the session; the saver's own address guards the IP allowlist.
import type { FastifyInstance } from 'fastify';
import { getCompanyPolicy, MAX_ALLOWLIST_ENTRIES, PASSWORD_CLASSES, POLICY_LIMITS, updateCompanyPolicy } from '../../companies/index.ts';
import { policyBody, policyView } from '../../contract/company.ts';
import { forAudience, signedInOf } from '../audiences.ts';
import type { HttpContext } from '../context.ts';
import { requestMeta } from '../guards.ts';

export const POLICY_VIEW_LIMITS = { ...POLICY_LIMITS, ipAllowlistEntries: MAX_ALLOWLIST_ENTRIES, passwordClasses: [...PASSWORD_CLASSES] };

export function companyPolicyRoutes(app: FastifyInstance, ctx: HttpContext) {
  const { deps } = ctx;
  forAudience(app, ctx, 'master', 'Company administration', (api) => {
    api.get('/api/company/policy', { schema: { summary: "The company's security policy", response: { 200: policyView } } }, async (request) => {
      const me = signedInOf(request);
      return { policy: await getCompanyPolicy(deps.db, me.companyId), limits: POLICY_VIEW_LIMITS, currentIp: requestMeta(request).ip };
    });

    api.post(
      '/api/company/policy',
      { config: { sensitive: true }, schema: { summary: 'Change the security policy (only the fields sent)', body: policyBody, response: { 200: policyView } } },
      async (request) => {
        const me = signedInOf(request);
        const policy = await updateCompanyPolicy(deps, { companyId: me.companyId, userId: me.userId, sessionHash: me.sessionHash }, request.body, requestMeta(request));
        return { policy, limits: POLICY_VIEW_LIMITS, currentIp: requestMeta(request).ip };
      },
    );
  });
}

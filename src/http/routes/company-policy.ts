// The company's security policy, for its Masters and Root Master (a User gets 403). The
// company comes from the session; the saver's own address guards the IP allowlist.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { getCompanyPolicy, MAX_ALLOWLIST_ENTRIES, PASSWORD_CLASSES, POLICY_LIMITS, updateCompanyPolicy, type CompanyPolicy } from '../../companies/index.ts';
import { settingsVersion } from '../../shared/settings-version.ts';
import { ifMatchHeaders } from '../../contract/common.ts';
import { policyBody, policyView } from '../../contract/company.ts';
import { forAudience, signedInOf } from '../audiences.ts';
import type { HttpContext } from '../context.ts';
import { answerVersion, ifMatchVersions } from '../conditional-saves.ts';
import { requestMeta } from '../guards.ts';

const POLICY_VIEW_LIMITS = { ...POLICY_LIMITS, ipAllowlistEntries: MAX_ALLOWLIST_ENTRIES, passwordClasses: [...PASSWORD_CLASSES] };

/** The policy as every policy route answers it (the console's and /api/v1's), its version in the ETag too. */
export function policyAnswer(request: FastifyRequest, reply: FastifyReply, policy: CompanyPolicy) {
  const version = answerVersion(reply, settingsVersion(policy));
  return { policy, limits: POLICY_VIEW_LIMITS, currentIp: requestMeta(request).ip, version };
}

export function companyPolicyRoutes(app: FastifyInstance, ctx: HttpContext) {
  const { deps } = ctx;
  forAudience(app, ctx, 'master', 'Company administration', (api) => {
    api.get('/api/company/policy', { schema: { summary: "The company's security policy (its version in the ETag)", response: { 200: policyView } } }, async (request, reply) =>
      policyAnswer(request, reply, await getCompanyPolicy(deps.db, signedInOf(request).companyId)),
    );

    api.post(
      '/api/company/policy',
      {
        config: { sensitive: true },
        schema: { summary: 'Change the security policy (only the fields sent; with If-Match, only if it is still that version: else 412)', headers: ifMatchHeaders, body: policyBody, response: { 200: policyView } },
      },
      async (request, reply) => {
        const me = signedInOf(request);
        const who = { companyId: me.companyId, userId: me.userId, sessionHash: me.sessionHash };
        return policyAnswer(request, reply, await updateCompanyPolicy(deps, who, request.body, requestMeta(request), ifMatchVersions(request)));
      },
    );
  });
}

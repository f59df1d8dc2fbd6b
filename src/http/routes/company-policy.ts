// The company's security policy, for its Masters and Root Master (a User gets 403). The
// company comes from the session; the saver's own address guards the IP allowlist.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  getCompanyPolicy,
  MAX_ALLOWLIST_ENTRIES,
  PASSWORD_CLASSES,
  POLICY_LIMITS,
  updateCompanyPolicy,
} from '../../companies/index.ts';
import { GatehouseError } from '../../errors.ts';
import type { HttpContext } from '../context.ts';
import { requestMeta, requireSignedIn } from '../guards.ts';
import { parseInput } from '../validate.ts';

// Types here; ranges, the idle-within-absolute rule and address parsing in the capability.
const minutes = (label: string) =>
  z.number({ error: `${label} must be a number.` }).int(`${label} must be a whole number.`).optional();
const policySchema = z.object({
  passwordMinLength: minutes('Minimum length'),
  passwordClasses: z
    .array(z.enum(PASSWORD_CLASSES, { error: 'Choose among lower, upper, digit and symbol.' }), { error: 'Send a list.' })
    .max(PASSWORD_CLASSES.length, 'Each class at most once.')
    .optional(),
  lockoutThreshold: minutes('Failed attempts before a lock'),
  lockoutMinutes: minutes('Lock duration'),
  sessionAbsoluteMinutes: minutes('Session limit'),
  sessionIdleMinutes: minutes('Idle timeout'),
  ipAllowlist: z
    .array(z.string({ error: 'Each entry must be text.' }).max(64, 'An entry can have at most 64 characters.'), { error: 'Send a list.' })
    .max(MAX_ALLOWLIST_ENTRIES, `At most ${MAX_ALLOWLIST_ENTRIES} ranges.`)
    .optional(),
  twoPerson2faReset: z.boolean({ error: 'Say true or false.' }).optional(),
});

const LIMITS = { ...POLICY_LIMITS, ipAllowlistEntries: MAX_ALLOWLIST_ENTRIES, passwordClasses: PASSWORD_CLASSES };

export function companyPolicyRoutes(app: FastifyInstance, { deps, cookies }: HttpContext) {
  async function requireMaster(request: FastifyRequest, reply: FastifyReply) {
    const me = await requireSignedIn(deps, cookies, request, reply);
    if (me.role === 'user') throw new GatehouseError('auth.forbidden');
    return me;
  }

  app.get('/api/company/policy', async (request, reply) => {
    const me = await requireMaster(request, reply);
    return { policy: await getCompanyPolicy(deps.db, me.companyId), limits: LIMITS, currentIp: requestMeta(request).ip };
  });

  app.post('/api/company/policy', async (request, reply) => {
    const me = await requireMaster(request, reply);
    const change = parseInput(policySchema, request.body);
    const policy = await updateCompanyPolicy(deps, { companyId: me.companyId, userId: me.userId }, change, requestMeta(request));
    return { policy, limits: LIMITS, currentIp: requestMeta(request).ip };
  });
}

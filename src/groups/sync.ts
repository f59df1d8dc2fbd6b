// Membership from an identity provider's group claim (single sign-on): at each sign-in
// the user's groups become the company's groups the claim names. Names are matched as
// group names are everywhere (case, spacing and look-alikes folded); a name the company
// has no group for is ignored (the provider never creates groups), as is one longer than
// a group name may be typed or past the first MAX_CLAIMED_GROUP_NAMES. Runs in the
// caller's transaction (the sign-in's), ends any module access the user loses, and audits
// a change.
import { recordAudit } from '../audit/index.ts';
import { typedLimit } from '../contract/fields.ts';
import { GROUP_NAME_MAX } from '../contract/groups.ts';
import { endLostModuleAccess, lockAccessDecisions } from '../modules/index.ts';
import { caseKey, nameKey } from '../shared/text.ts';
import type { Queryable } from '../storage/index.ts';

export interface MembershipSync {
  /** Names of the groups the user joined, and left. */
  added: string[];
  removed: string[];
}

/**
 * How many of a claim's names are matched, in the claim's order. Each is keyed per
 * character, folding look-alikes, and the claim is the provider's to fill up to its
 * answer's limit (1 MiB, src/shared/outbound-fetch.ts): any Master may add a provider they
 * run, and 40,000 names once took seconds of the event loop that every company shares,
 * and passed the engines' bound-parameter limits. Providers send far fewer (Entra ID
 * switches to an overage claim past 200 groups, Okta sends at most 100); a name past this
 * many is ignored, as a name the company has no group for is.
 */
export const MAX_CLAIMED_GROUP_NAMES = 1000;

/**
 * The claim's names worth keying, each once: a name longer than a Master may type for a
 * group (typedLimit of GROUP_NAME_MAX, refused there before anything reads it) is no
 * group's name, and is skipped unread.
 */
function groupNameCandidates(names: readonly string[]): string[] {
  const longest = typedLimit(GROUP_NAME_MAX);
  const candidates = new Set<string>();
  for (const name of names) {
    if (candidates.size === MAX_CLAIMED_GROUP_NAMES) break;
    if (name.length <= longest) candidates.add(name);
  }
  return [...candidates];
}

/**
 * The company's groups whose name key or case key is among those given: two index searches
 * joined with UNION ALL (an OR of the two would read every group of the company), each
 * group once.
 */
async function groupsNamed(db: Queryable, companyId: string, keys: string[], caseKeys: string[]) {
  const ofCompany = () => db.selectFrom('groups').select(['id', 'name']).where('company_id', '=', companyId);
  const byKey = ofCompany().where('name_key', 'in', keys);
  const rows = await (caseKeys.length === 0 ? byKey : byKey.unionAll(ofCompany().where('case_key', 'in', caseKeys))).execute();
  return [...new Map(rows.map((row) => [row.id, row])).values()];
}

export async function replaceMembershipsByGroupNames(
  db: Queryable,
  now: number,
  companyId: string,
  userId: string,
  names: readonly string[],
): Promise<MembershipSync> {
  const candidates = groupNameCandidates(names);
  const keys = [...new Set(candidates.map((n) => nameKey(n)).filter((k) => k !== ''))];
  const caseKeys = [...new Set(candidates.map((n) => caseKey(n)).filter((k) => k !== ''))];
  const user = await db.selectFrom('users').select(['id', 'username']).where('company_id', '=', companyId).where('id', '=', userId).executeTakeFirst();
  if (!user) return { added: [], removed: [] };
  const [named, current] = await Promise.all([
    keys.length === 0 ? Promise.resolve([]) : groupsNamed(db, companyId, keys, caseKeys),
    db
      .selectFrom('group_members')
      .innerJoin('groups', 'groups.id', 'group_members.group_id')
      .select(['groups.id as id', 'groups.name as name'])
      .where('group_members.company_id', '=', companyId)
      .where('group_members.user_id', '=', userId)
      .execute(),
  ]);
  const wanted = new Set(named.map((g) => g.id));
  const had = new Set(current.map((g) => g.id));
  const joining = named.filter((g) => !had.has(g.id));
  const leaving = current.filter((g) => !wanted.has(g.id));
  // Leaving a group may take a module away: the company's row first, before the
  // memberships' rows (and the groups' the inserts reference), as every group change that
  // may take access away takes them (lockAccessDecisions).
  if (leaving.length > 0) await lockAccessDecisions(db, companyId);
  if (joining.length > 0) {
    await db
      .insertInto('group_members')
      .values(joining.map((g) => ({ group_id: g.id, company_id: companyId, user_id: userId, added_at: now })))
      .onConflict((oc) => oc.columns(['group_id', 'user_id']).doNothing())
      .execute();
  }
  if (leaving.length > 0) {
    await db
      .deleteFrom('group_members')
      .where('company_id', '=', companyId)
      .where('user_id', '=', userId)
      .where('group_id', 'in', leaving.map((g) => g.id))
      .execute();
    await endLostModuleAccess(db, companyId, now, 'group_changed', { userId });
  }
  const result = { added: joining.map((g) => g.name).sort(), removed: leaving.map((g) => g.name).sort() };
  if (joining.length > 0 || leaving.length > 0) {
    await recordAudit(db, now, {
      companyId,
      actorId: null,
      action: 'group.memberships_synced',
      target: userId,
      detail: { username: user.username, source: 'identity_provider', ...result },
    });
  }
  return result;
}

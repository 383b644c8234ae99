/**
 * "What would this policy change do to people's access?", answered before anything is
 * saved. A policy change touches no user's facts, only the org's configuration: each user
 * is evaluated with the current configuration and with the same configuration under the
 * new policy, by the code that serves decisions. Nothing is written and no row is locked.
 * Large orgs are previewed on their first MAX_POLICY_PREVIEW_USERS users (by id), said so.
 */
import { evaluateAccess } from '../access/effective-access.js';
import { accessPolicyOf } from '../access/policy.js';
import { readAccessConfig } from '../decisions/access-service.js';
import type { Store } from '../store/store.js';
import { accessDiff, summary, type UserAccessDiff } from './access-diff.js';
import { nextPolicy, type PolicyChange } from './policy.js';

export const MAX_POLICY_PREVIEW_USERS = 5000;
const PAGE = 500;

export interface PolicyPreview {
  /** Users evaluated (all of the org's, up to MAX_POLICY_PREVIEW_USERS). */
  readonly affectedUsers: number;
  /** Of those, the first `limit` whose access changes, by userName. */
  readonly users: readonly UserAccessDiff[];
  /** More users changed than are listed, or the org has more users than were evaluated. */
  readonly truncated: boolean;
  /** Of the users evaluated, how many gain or lose something. */
  readonly changedUsers: number;
}

export async function previewPolicyChange(
  store: Store,
  orgId: string,
  change: PolicyChange,
  limit = 200,
): Promise<PolicyPreview> {
  const repos = store.repos;
  const before = await readAccessConfig(repos, orgId);
  const after = { ...before, policy: accessPolicyOf(nextPolicy(orgId, await repos.policies.get(orgId), change)) };
  const mapped = await repos.accessFacts.mappedGroups(orgId);
  const changed: UserAccessDiff[] = [];
  let evaluated = 0;
  let more = false;
  for (let from = ''; ;) {
    const facts = await repos.accessFacts.factsOfUsers(orgId, { after: from, limit: PAGE, lock: false }, mapped);
    for (const f of facts) {
      if (evaluated === MAX_POLICY_PREVIEW_USERS) {
        more = true;
        break;
      }
      evaluated++;
      const diff = accessDiff(f.id, f.userName, summary(evaluateAccess(before, f)), summary(evaluateAccess(after, f)));
      if (diff.changed) changed.push(diff);
    }
    const last = facts[facts.length - 1];
    if (!last || facts.length < PAGE || more) break;
    from = last.id;
  }
  changed.sort((a, b) => a.userName.localeCompare(b.userName));
  return {
    affectedUsers: evaluated,
    users: changed.slice(0, limit),
    truncated: more || changed.length > limit,
    changedUsers: changed.length,
  };
}

/**
 * The org policy: the top of the hierarchical settings. It bounds what teams and role
 * defaults may grant (an allow-list and a deny-list of scopes) and says who is a member.
 * Teams extend within the bound and never weaken it: an edit beyond the bound is refused,
 * and grants that a later, tighter policy excludes are suppressed when access is evaluated.
 */
import { InvalidInputError } from '../domain/errors/index.js';
import type { OrgPolicy } from '../domain/org-policy.js';
import { catalogOf, expandGrant, satisfies, type ScopeCatalog } from './scope.js';

export type MembershipMode = 'mapped' | 'all_provisioned';

export interface AccessPolicy {
  /** 'mapped': members come from mapped groups; 'all_provisioned': every active provisioned user. */
  readonly membership: MembershipMode;
  readonly catalog: ScopeCatalog;
  /** The grant of a User in no team with scopes; null means every scope. */
  readonly defaultUserScopes: readonly string[] | null;
  /** Only scopes covered by one of these may be granted; null means no bound. */
  readonly allowedScopes: readonly string[] | null;
  /** Scopes never granted (nor anything that would pass a check for them). */
  readonly deniedScopes: readonly string[];
}

/** The policy a stored one (or none: the defaults) means for evaluation. */
export function accessPolicyOf(stored: OrgPolicy | undefined): AccessPolicy {
  return {
    membership: stored?.membership ?? 'mapped',
    catalog: catalogOf(stored?.scopeCatalog ?? null),
    defaultUserScopes: stored?.defaultUserScopes ?? null,
    allowedScopes: stored?.allowedScopes ?? null,
    deniedScopes: stored?.deniedScopes ?? [],
  };
}

export type PolicyVerdict = { readonly permitted: true } | { readonly permitted: false; readonly reason: string };

const PERMITTED: PolicyVerdict = { permitted: true };

/** Whether the policy lets a concrete scope be granted, and if not, why. */
export function policyVerdict(policy: AccessPolicy, scope: string): PolicyVerdict {
  const denied = policy.deniedScopes.find((d) => satisfies(scope, d) || satisfies(d, scope));
  if (denied !== undefined) return { permitted: false, reason: `the org policy denies ${denied}` };
  if (policy.allowedScopes !== null && !policy.allowedScopes.some((a) => satisfies(a, scope))) {
    return { permitted: false, reason: `the org policy allows only ${policy.allowedScopes.join(', ') || 'no scopes'}` };
  }
  return PERMITTED;
}

/** Refuses grants (e.g. a team's new scopes) that the policy does not permit, naming each. */
export function assertWithinPolicy(policy: AccessPolicy, grants: readonly string[], what: string): void {
  const refused: string[] = [];
  for (const grant of grants) {
    for (const scope of expandGrant(policy.catalog, grant)) {
      const verdict = policyVerdict(policy, scope);
      if (!verdict.permitted) refused.push(`${scope} (${verdict.reason})`);
    }
  }
  if (refused.length > 0) {
    throw new InvalidInputError(
      'policy.exceeded',
      `${what} would grant what the org policy forbids: ${refused.join('; ')}`,
      {
        refused,
      },
    );
  }
}

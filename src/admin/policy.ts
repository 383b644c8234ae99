/**
 * The org policy (top of the hierarchical settings): membership mode, catalog extensions,
 * the default grant of Users in no team, and the allowed/denied bound on every grant.
 * Only Owners change it. A policy that tightens later never fails a team edit already
 * made: the excess is suppressed at evaluation (and shown as suppressed).
 */
import { recordAudit } from '../audit/audit-log.js';
import type { Actor } from '../domain/actor.js';
import { accessPolicyOf, type AccessPolicy, type MembershipMode } from '../access/policy.js';
import { catalogOf, validateCatalogNames, validateGrant, type CatalogExtension } from '../access/scope.js';
import { InvalidInputError } from '../domain/errors/index.js';
import type { OrgPolicy } from '../domain/org-policy.js';
import { nowIso } from '../domain/clock.js';
import type { Repositories, Store } from '../store/store.js';
import { previewPolicyChange, type PolicyPreview } from './policy-preview.js';

export interface PolicyChange {
  readonly membership?: MembershipMode;
  readonly catalog?: CatalogExtension | null;
  readonly defaultUserScopes?: readonly string[] | null;
  readonly allowedScopes?: readonly string[] | null;
  readonly deniedScopes?: readonly string[] | null;
}

export async function loadPolicy(repos: Repositories, orgId: string): Promise<AccessPolicy> {
  return accessPolicyOf(await repos.policies.get(orgId));
}

/** The policy a change makes of the stored one (validated: unknown scopes or catalog names are refused). */
export function nextPolicy(orgId: string, stored: OrgPolicy | undefined, change: PolicyChange): OrgPolicy {
  if (change.membership !== undefined && !['mapped', 'all_provisioned'].includes(change.membership)) {
    throw new InvalidInputError('policy.invalid_membership', 'membership must be "mapped" or "all_provisioned"');
  }
  const before = accessPolicyOf(stored);
  const extension = change.catalog !== undefined ? change.catalog : (stored?.scopeCatalog ?? null);
  if (extension) {
    validateCatalogNames('resource', extension.resources);
    validateCatalogNames('action', extension.actions);
  }
  const catalog = catalogOf(extension);
  const pick = <K extends keyof PolicyChange>(key: K, current: PolicyChange[K]): PolicyChange[K] =>
    change[key] !== undefined ? change[key] : current;
  const scopes = (list: readonly string[] | null | undefined): string[] | null =>
    list === null || list === undefined ? null : [...new Set(list.map((s) => validateGrant(catalog, s)))];
  return {
    orgId,
    membership: pick('membership', before.membership) ?? 'mapped',
    scopeCatalog: extension ? { resources: [...extension.resources], actions: [...extension.actions] } : null,
    defaultUserScopes: scopes(pick('defaultUserScopes', before.defaultUserScopes)),
    allowedScopes: scopes(pick('allowedScopes', before.allowedScopes)),
    deniedScopes: scopes(pick('deniedScopes', before.deniedScopes)) ?? [],
    version: (stored?.version ?? 0) + 1,
    updatedAt: nowIso(),
  };
}

export class PolicyService {
  constructor(private readonly store: Store) {}

  async get(orgId: string): Promise<AccessPolicy> {
    return loadPolicy(this.store.repos, orgId);
  }

  /** Who would gain and lose what if the change were saved (nothing is saved). */
  preview(orgId: string, change: PolicyChange, limit?: number): Promise<PolicyPreview> {
    return previewPolicyChange(this.store, orgId, change, limit);
  }

  async update(orgId: string, change: PolicyChange, actor: Actor): Promise<AccessPolicy> {
    return this.store.transaction(async (repos) => {
      const stored = await repos.policies.get(orgId);
      const before = accessPolicyOf(stored);
      const next = nextPolicy(orgId, stored, change);
      await repos.policies.upsert(next);
      await repos.accessFacts.bumpConfigVersion(orgId);
      const after = accessPolicyOf(next);
      await recordAudit(repos, orgId, actor, {
        action: 'policy.updated',
        target: { type: 'policy', id: orgId, label: 'org policy' },
        data: { before: policyJson(before), after: policyJson(after) },
      });
      return after;
    });
  }
}

function policyJson(p: AccessPolicy): Record<string, unknown> {
  return {
    membership: p.membership,
    defaultUserScopes: p.defaultUserScopes,
    allowedScopes: p.allowedScopes,
    deniedScopes: p.deniedScopes,
  };
}

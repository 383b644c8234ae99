/**
 * "May this user do SCOPE (on DEVICE GROUP, on a thing OWNER owns)?" answered from the
 * user's effective access, with the reason in words an IT admin can act on.
 */
import type { EffectiveAccess, Grant, GrantSource } from './effective-access.js';
import { policyVerdict, type AccessPolicy } from './policy.js';
import { satisfies, validateCheck } from './scope.js';

export interface AccessQuestion {
  readonly scope: string;
  readonly deviceGroup?: string | undefined;
  /** Owner of the device or device group acted on: a member manages what they own. */
  readonly ownerId?: string | undefined;
}

export interface AccessDecision {
  readonly allowed: boolean;
  readonly reason: string;
}

export function describeSource(source: GrantSource): string {
  switch (source.kind) {
    case 'team':
      return `team ${JSON.stringify(source.teamName)}`;
    case 'role_default':
      return `the ${source.role} role's default (in no team with scopes)`;
    case 'org_default':
      return "the org's default for Users (in no team with scopes)";
  }
}

function grantedBy(grants: readonly Grant[]): string {
  return [...new Set(grants.map((g) => describeSource(g.source)))].join(', ');
}

export function decide(policy: AccessPolicy, access: EffectiveAccess, question: AccessQuestion): AccessDecision {
  const wanted = validateCheck(policy.catalog, question.scope);
  const who = JSON.stringify(access.userName);
  if (!access.member)
    return { allowed: false, reason: `${who} is not a member of the org: ${access.membershipReason}` };

  const isDevices = wanted.resource === 'devices';
  if (isDevices && question.ownerId !== undefined && [access.userId, access.userName].includes(question.ownerId)) {
    const verdict = policyVerdict(policy, question.scope);
    return verdict.permitted
      ? { allowed: true, reason: `${who} owns it, and members manage what they own` }
      : { allowed: false, reason: `${question.scope} is suppressed: ${verdict.reason}` };
  }

  const matching = access.grants.filter((g) => satisfies(g.scope, question.scope));
  const orgWide = matching.filter((g) => g.deviceGroups === null);
  const where =
    isDevices && question.deviceGroup !== undefined ? ` on device group ${JSON.stringify(question.deviceGroup)}` : '';
  if (orgWide.length > 0) {
    return { allowed: true, reason: `${question.scope}${where} granted by ${grantedBy(orgWide)}` };
  }
  if (isDevices && question.deviceGroup !== undefined) {
    const onGroup = matching.filter((g) => g.deviceGroups?.includes(question.deviceGroup!));
    if (onGroup.length > 0)
      return { allowed: true, reason: `${question.scope}${where} granted by ${grantedBy(onGroup)}` };
  }
  if (matching.length > 0) {
    const groups = [...new Set(matching.flatMap((g) => g.deviceGroups ?? []))].map((g) => JSON.stringify(g)).join(', ');
    return {
      allowed: false,
      reason: `${question.scope} is granted to ${who} only on device groups ${groups} (by ${grantedBy(matching)})${where ? `, not${where}` : '; name the device group'}`,
    };
  }
  const suppressed = access.suppressed.find((s) => satisfies(s.scope, question.scope));
  if (suppressed) {
    return {
      allowed: false,
      reason: `${question.scope} from ${describeSource(suppressed.source)} is suppressed: ${suppressed.reason}`,
    };
  }
  if (access.scopeBasis === 'teams') {
    const teams = access.teams.map((t) => JSON.stringify(t.name)).join(', ');
    return {
      allowed: false,
      reason: `${who}'s teams (${teams}) do not grant ${question.scope}; a user in a team with scopes is limited to their union`,
    };
  }
  return {
    allowed: false,
    reason: `${who} is in no team with scopes and the ${access.role} default does not grant ${question.scope}`,
  };
}

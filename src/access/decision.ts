/**
 * "May this user do SCOPE (on DEVICE GROUP, on a thing OWNER owns or CREATOR created)?"
 * answered from the user's effective access, with the reason in words an IT admin can act
 * on. For devices scopes the reason names the clause of rule 5 (DESIGN.md, after the
 * FoundriesFactory document) that granted or refused:
 *   (a) the user owns the device or device group, or created the device group;
 *   (b) a team of the user holds the device group and has a devices scope that satisfies
 *       the check (a team holding no device group reaches none);
 *   the Owner/Admin default (in no team with scopes) reaches every device group; the
 *   Users' default reaches device groups only by (a).
 */
import type { EffectiveAccess, Grant, GrantSource } from './effective-access.js';
import { policyVerdict, type AccessPolicy } from './policy.js';
import { satisfies, validateCheck } from './scope.js';

export interface AccessQuestion {
  readonly scope: string;
  readonly deviceGroup?: string | undefined;
  /** Owner of the device or device group acted on: a member manages what they own (rule 5a). */
  readonly ownerId?: string | undefined;
  /** Who created the device group acted on (for a device: its group): rule 5a. */
  readonly creatorId?: string | undefined;
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

const quoted = (names: Iterable<string>): string => [...new Set(names)].map((n) => JSON.stringify(n)).join(', ');

/** Rule 5a: the question names this user as the owner or the creator of what is acted on. */
function ownClause(access: EffectiveAccess, question: AccessQuestion): string | undefined {
  const me = (id: string | undefined): boolean => id !== undefined && (id === access.userId || id === access.userName);
  if (me(question.ownerId)) return 'owns it';
  if (me(question.creatorId)) return 'created the device group';
  return undefined;
}

/** Why the matching device-bound grants do not reach the device group asked about (rule 5b). */
function unreachedReason(who: string, scope: string, matching: readonly Grant[], where: string): string {
  const reached = matching.flatMap((g) => g.deviceGroups ?? []);
  const teamsWithout = matching.filter((g) => g.source.kind === 'team' && g.deviceGroups?.length === 0);
  const defaults = matching.filter((g) => g.source.kind !== 'team');
  const parts: string[] = [];
  if (reached.length > 0) {
    parts.push(
      `${scope} is granted to ${who} only on device groups ${quoted(reached)} (by ${grantedBy(matching.filter((g) => (g.deviceGroups?.length ?? 0) > 0))}, rule 5b)${where ? `, not${where}` : '; name the device group'}`,
    );
  }
  if (teamsWithout.length > 0) {
    parts.push(`${grantedBy(teamsWithout)} grants ${scope} but holds no device group, so it reaches none (rule 5b)`);
  }
  if (defaults.length > 0) {
    parts.push(
      `${grantedBy(defaults)} grants ${scope} only on device groups ${who} owns or created (rule 5a: pass ownerId or creatorId)`,
    );
  }
  return parts.join('; ');
}

export function decide(policy: AccessPolicy, access: EffectiveAccess, question: AccessQuestion): AccessDecision {
  const wanted = validateCheck(policy.catalog, question.scope);
  const who = JSON.stringify(access.userName);
  if (!access.member)
    return { allowed: false, reason: `${who} is not a member of the org: ${access.membershipReason}` };

  const isDevices = wanted.resource === 'devices';
  const own = isDevices ? ownClause(access, question) : undefined;
  if (own !== undefined) {
    const verdict = policyVerdict(policy, question.scope);
    return verdict.permitted
      ? { allowed: true, reason: `${who} ${own}, and members manage what they own or created (rule 5a)` }
      : { allowed: false, reason: `${question.scope} is suppressed: ${verdict.reason}` };
  }

  const matching = access.grants.filter((g) => satisfies(g.scope, question.scope));
  const orgWide = matching.filter((g) => g.deviceGroups === null);
  const where =
    isDevices && question.deviceGroup !== undefined ? ` on device group ${JSON.stringify(question.deviceGroup)}` : '';
  if (orgWide.length > 0) {
    const reach = isDevices ? ', which reaches every device group' : '';
    return { allowed: true, reason: `${question.scope}${where} granted by ${grantedBy(orgWide)}${reach}` };
  }
  if (isDevices && question.deviceGroup !== undefined) {
    const onGroup = matching.filter((g) => g.deviceGroups?.includes(question.deviceGroup!));
    if (onGroup.length > 0) {
      return {
        allowed: true,
        reason: `${question.scope}${where} granted by ${grantedBy(onGroup)}, which holds it (rule 5b)`,
      };
    }
  }
  if (matching.length > 0) {
    return { allowed: false, reason: unreachedReason(who, question.scope, matching, where) };
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

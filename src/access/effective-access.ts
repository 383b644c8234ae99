/**
 * Effective access of one user (DESIGN.md "Access semantics"), with its explanation:
 *  1. member iff active and in a mapped group that grants membership (or the policy makes
 *     every provisioned user a member);
 *  2. role = highest role among the mapped groups, else User;
 *  3. teams = mapped teams ∪ manual memberships;
 *  4. scopes = union of the teams' scopes; an empty union gives the role's default grant
 *     (Owner/Admin: every scope; User: the org default, every scope unless narrowed);
 *  5. device groups (FoundriesFactory): a devices scope from a team reaches that team's
 *     device groups only (none, when it holds none); the Owner/Admin default reaches every
 *     device group; the Users' default reaches none (a user reaches what they own or
 *     created: decided per question, see decision.ts);
 *  7. every grant keeps where it came from;
 *  8. the org policy suppresses what it does not permit.
 * Pure: the caller loads the facts and the org's configuration.
 */
import { higherRole, type Role } from '../domain/role.js';
import type { MappingMatch } from '../domain/team.js';
import { policyVerdict, type AccessPolicy } from './policy.js';
import { everyScope, expandGrant } from './scope.js';

export interface TeamConfig {
  readonly id: string;
  readonly name: string;
  readonly scopes: readonly string[];
  readonly deviceGroups: readonly string[];
}

export interface MappingConfig {
  readonly id: string;
  readonly connectionId: string;
  readonly matchBy: MappingMatch;
  readonly matchValue: string;
  readonly grantsMembership: boolean;
  readonly role: Role | null;
  readonly teamIds: readonly string[];
}

/** What an org's decisions depend on besides the user: cached per instance, keyed by version. */
export interface OrgAccessConfig {
  readonly orgId: string;
  readonly version: number;
  readonly policy: AccessPolicy;
  readonly teams: ReadonlyMap<string, TeamConfig>;
  readonly mappings: ReadonlyMap<string, MappingConfig>;
}

/** A group of the user's that a mapping names. */
export interface MappedGroup {
  readonly mappingId: string;
  readonly groupId: string;
  readonly groupName: string;
}

export interface UserFacts {
  readonly id: string;
  readonly userName: string;
  readonly active: boolean;
  readonly mappedGroups: readonly MappedGroup[];
  readonly manualTeamIds: readonly string[];
}

export interface MappingLink {
  readonly mappingId: string;
  readonly groupId: string;
  readonly groupName: string;
  readonly matchBy: MappingMatch;
}

export type TeamVia = ({ readonly kind: 'mapping' } & MappingLink) | { readonly kind: 'manual' };

export type GrantSource =
  | { readonly kind: 'team'; readonly teamId: string; readonly teamName: string }
  | { readonly kind: 'role_default'; readonly role: Role }
  | { readonly kind: 'org_default' };

/**
 * One concrete scope held, from one source. `deviceGroups` null means org-wide (for a
 * devices scope: every device group); a list (possibly empty) is the only device groups a
 * devices scope reaches.
 */
export interface Grant {
  readonly scope: string;
  readonly source: GrantSource;
  readonly deviceGroups: readonly string[] | null;
}

export const isDevicesScope = (scope: string): boolean => scope.startsWith('devices:');

export interface SuppressedGrant {
  readonly scope: string;
  readonly source: GrantSource;
  readonly reason: string;
}

export interface EffectiveAccess {
  readonly userId: string;
  readonly userName: string;
  readonly active: boolean;
  readonly member: boolean;
  readonly membershipReason: string;
  readonly membershipVia: readonly MappingLink[];
  readonly role: Role;
  readonly roleVia: readonly MappingLink[];
  readonly teams: ReadonlyArray<{ readonly id: string; readonly name: string; readonly via: readonly TeamVia[] }>;
  /** Where the scopes come from: the teams' union, the role's default, or nothing (not a member). */
  readonly scopeBasis: 'teams' | 'role_default' | 'none';
  readonly grants: readonly Grant[];
  readonly suppressed: readonly SuppressedGrant[];
  /** The distinct scopes held org-wide. */
  readonly scopes: readonly string[];
  readonly deviceGroups: ReadonlyArray<{ readonly name: string; readonly actions: readonly string[] }>;
}

function linkOf(config: OrgAccessConfig, g: MappedGroup): MappingLink | undefined {
  const mapping = config.mappings.get(g.mappingId);
  return mapping
    ? { mappingId: g.mappingId, groupId: g.groupId, groupName: g.groupName, matchBy: mapping.matchBy }
    : undefined;
}

export function evaluateAccess(config: OrgAccessConfig, user: UserFacts): EffectiveAccess {
  const links = user.mappedGroups.map((g) => linkOf(config, g)).filter((l): l is MappingLink => l !== undefined);
  const membershipLinks = links.filter((l) => config.mappings.get(l.mappingId)!.grantsMembership);
  const member = user.active && (config.policy.membership === 'all_provisioned' || membershipLinks.length > 0);
  const membershipReason = !user.active
    ? 'the user is deactivated in the identity provider'
    : member
      ? config.policy.membership === 'all_provisioned'
        ? 'the org policy makes every provisioned user a member'
        : `in mapped group ${membershipLinks.map((l) => JSON.stringify(l.groupName)).join(', ')}`
      : 'in no group that a mapping makes an org member';

  const roleOf = (l: MappingLink): Role | null => config.mappings.get(l.mappingId)!.role;
  const role = links.reduce<Role>((highest, l) => higherRole(highest, roleOf(l) ?? 'User'), 'User');
  const roleVia = links.filter((l) => roleOf(l) === role);

  const teamVia = new Map<string, TeamVia[]>();
  const addTeam = (teamId: string, via: TeamVia): void => {
    if (!config.teams.has(teamId)) return;
    const list = teamVia.get(teamId) ?? [];
    list.push(via);
    teamVia.set(teamId, list);
  };
  for (const link of links) {
    for (const teamId of config.mappings.get(link.mappingId)!.teamIds) addTeam(teamId, { kind: 'mapping', ...link });
  }
  for (const teamId of user.manualTeamIds) addTeam(teamId, { kind: 'manual' });
  const teams = [...teamVia.entries()]
    .map(([id, via]) => ({ id, name: config.teams.get(id)!.name, via }))
    .sort((a, b) => a.name.localeCompare(b.name));

  const catalog = config.policy.catalog;
  const candidates: Grant[] = [];
  let scopeBasis: EffectiveAccess['scopeBasis'] = 'none';
  if (member) {
    for (const team of teams) {
      const t = config.teams.get(team.id)!;
      const source: GrantSource = { kind: 'team', teamId: t.id, teamName: t.name };
      for (const grant of t.scopes) {
        for (const scope of expandGrant(catalog, grant)) {
          // Rule 5b: through a team, only the device groups it holds (a team holding none reaches none).
          candidates.push({ scope, source, deviceGroups: isDevicesScope(scope) ? t.deviceGroups : null });
        }
      }
    }
    scopeBasis = 'teams';
    if (candidates.length === 0) {
      scopeBasis = 'role_default';
      const source: GrantSource = role === 'User' ? { kind: 'org_default' } : { kind: 'role_default', role };
      const scopes =
        role === 'User' && config.policy.defaultUserScopes !== null
          ? config.policy.defaultUserScopes.flatMap((g) => expandGrant(catalog, g))
          : everyScope(catalog);
      // Rule 5: the Owner/Admin default reaches every device group; the Users' default none
      // (a User in no team with scopes reaches only what they own or created).
      for (const scope of scopes) {
        const bound = role === 'User' && isDevicesScope(scope);
        candidates.push({ scope, source, deviceGroups: bound ? [] : null });
      }
    }
  }

  const grants: Grant[] = [];
  const suppressed: SuppressedGrant[] = [];
  for (const grant of candidates) {
    const verdict = policyVerdict(config.policy, grant.scope);
    if (verdict.permitted) grants.push(grant);
    else suppressed.push({ scope: grant.scope, source: grant.source, reason: verdict.reason });
  }

  const scopes = [...new Set(grants.filter((g) => g.deviceGroups === null).map((g) => g.scope))].sort();
  const byGroup = new Map<string, Set<string>>();
  for (const g of grants) {
    for (const name of g.deviceGroups ?? []) {
      const actions = byGroup.get(name) ?? new Set<string>();
      actions.add(g.scope.slice('devices:'.length));
      byGroup.set(name, actions);
    }
  }
  const deviceGroups = [...byGroup.entries()]
    .map(([name, actions]) => ({ name, actions: [...actions].sort() }))
    .sort((a, b) => a.name.localeCompare(b.name));

  return {
    userId: user.id,
    userName: user.userName,
    active: user.active,
    member,
    membershipReason,
    membershipVia: membershipLinks,
    role,
    roleVia,
    teams,
    scopeBasis,
    grants,
    suppressed,
    scopes,
    deviceGroups,
  };
}

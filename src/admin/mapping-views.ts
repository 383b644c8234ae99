/**
 * A mapping as the console shows it: its teams by name, the IdP group it matches today
 * (with its member count) and, when there is one, a warning an admin should read.
 */
import type { Role } from '../domain/role.js';
import type { GroupMapping, MappingMatch } from '../domain/team.js';
import type { Store } from '../store/store.js';
import { accessPolicyOf } from '../access/policy.js';

export const DISPLAY_NAME_WARNING =
  'matched by display name: renaming the group in the identity provider breaks this mapping';

export interface MappingView {
  readonly id: string;
  readonly connectionId: string;
  readonly matchBy: MappingMatch;
  readonly matchValue: string;
  readonly grantsMembership: boolean;
  readonly role: Role | null;
  readonly teamIds: string[];
  readonly teams: Array<{ id: string; name: string }>;
  readonly group: { id: string; displayName: string; members: number } | null;
  readonly warning: string | null;
  /** Its members get every scope: no team, no role above User, and the org's User default is every scope. */
  readonly grantsEveryScope: boolean;
  readonly version: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export async function describeMapping(store: Store, orgId: string, m: GroupMapping): Promise<MappingView> {
  const [teams, group, policy] = await Promise.all([
    store.repos.teams.list(orgId),
    store.readModels.directory.matchedGroup(orgId, m),
    store.repos.policies.get(orgId),
  ]);
  const names = new Map(teams.map((t) => [t.id, t.name]));
  return {
    id: m.id,
    connectionId: m.connectionId,
    matchBy: m.matchBy,
    matchValue: m.matchValue,
    grantsMembership: m.grantsMembership,
    role: m.role as Role | null,
    teamIds: [...m.teamIds],
    teams: m.teamIds.map((id) => ({ id, name: names.get(id) ?? id })),
    group: group ?? null,
    warning:
      m.matchBy === 'display_name' ? DISPLAY_NAME_WARNING : group ? null : 'no group of the connection matches yet',
    grantsEveryScope:
      m.grantsMembership &&
      m.teamIds.length === 0 &&
      (m.role === null || m.role === 'User') &&
      accessPolicyOf(policy).defaultUserScopes === null,
    version: m.version,
    createdAt: m.createdAt,
    updatedAt: m.updatedAt,
  };
}

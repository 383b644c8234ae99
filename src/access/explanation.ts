/**
 * The explanation of a user's effective access, as lines an IT admin reads top to bottom:
 * membership, role, each team and how the user got into it (group → mapping → team, or
 * manual), each scope and where it comes from, what the policy suppressed, device groups.
 */
import { describeSource } from './decision.js';
import {
  isDevicesScope,
  type EffectiveAccess,
  type Grant,
  type MappingLink,
  type TeamVia,
} from './effective-access.js';

function link(l: MappingLink): string {
  const by =
    l.matchBy === 'display_name'
      ? 'by display name: renaming the group breaks it'
      : `by ${l.matchBy === 'id' ? 'group id' : 'externalId'}`;
  // Mappings have no name of their own: each is named by the group it maps (its id is in the API's data).
  return `IdP group ${JSON.stringify(l.groupName)} → its mapping (matched ${by})`;
}

function via(v: TeamVia): string {
  return v.kind === 'manual' ? 'added by an admin (manual)' : link(v);
}

/** Where a grant applies, for devices scopes (rule 5). */
function reachOf(g: Grant): string {
  if (!isDevicesScope(g.scope)) return '';
  if (g.deviceGroups === null) return ' on every device group';
  if (g.deviceGroups.length > 0) return ` on device groups ${g.deviceGroups.join(', ')} (rule 5b)`;
  return g.source.kind === 'team'
    ? ' on no device group: the team holds none (rule 5b)'
    : ' only on device groups the user owns or created (rule 5a)';
}

export function explainAccess(access: EffectiveAccess): string[] {
  const lines: string[] = [];
  lines.push(`${access.userName}: ${access.member ? 'member' : 'not a member'} (${access.membershipReason})`);
  for (const l of access.membershipVia) lines.push(`membership: from ${link(l)}`);
  lines.push(
    access.roleVia.length > 0
      ? `role ${access.role}: from ${access.roleVia.map(link).join('; ')}`
      : `role ${access.role}: no mapped group names a role`,
  );
  for (const team of access.teams) lines.push(`team ${JSON.stringify(team.name)}: ${team.via.map(via).join('; ')}`);
  if (!access.member) {
    lines.push('no scopes: only members have access');
    return lines;
  }
  if (access.scopeBasis === 'role_default') {
    lines.push(
      `no team grants scopes, so the ${access.role === 'User' ? "org's default for Users" : `${access.role} role's default`} applies`,
    );
  }
  const bySource = new Map<string, string[]>();
  for (const g of access.grants) {
    const key = `${describeSource(g.source)}${reachOf(g)}`;
    const list = bySource.get(key) ?? [];
    list.push(g.scope);
    bySource.set(key, list);
  }
  for (const [source, scopes] of bySource) lines.push(`scopes ${scopes.join(', ')}: from ${source}`);
  for (const s of access.suppressed) lines.push(`suppressed ${s.scope} from ${describeSource(s.source)}: ${s.reason}`);
  for (const d of access.deviceGroups) lines.push(`device group ${d.name}: ${d.actions.join(', ')}`);
  return lines;
}

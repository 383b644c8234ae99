/**
 * Mappings: "IdP group G of connection C → org membership, role R, teams T1..Tn".
 * Creating or deleting one brings the `idp` memberships of its teams in step in the same
 * transaction, set-based (one INSERT ... SELECT for a 100,000-member group), records the
 * audit event and bumps the org's access-config version.
 */
import { randomUUID } from 'node:crypto';
import { recordAudit } from '../audit/audit-log.js';
import type { Actor } from '../audit/actor.js';
import { InvalidInputError, NotFoundError } from '../domain/errors/index.js';
import { isRole, type Role } from '../domain/role.js';
import { MAPPING_MATCHES, type GroupMapping, type MappingMatch } from '../domain/team.js';
import { nowIso } from '../store/rows.js';
import type { Repositories, Store } from '../store/store.js';
import { resolveTeam } from './teams.js';

export interface MappingInput {
  readonly connectionId: string;
  /** The group's SCIM id, externalId or display name, as `matchBy` says. */
  readonly group: string;
  readonly matchBy?: MappingMatch;
  readonly role?: string | null;
  /** Team ids or names. */
  readonly teams?: readonly string[];
  readonly grantsMembership?: boolean;
}

export interface MappingResult {
  readonly mapping: GroupMapping;
  /** Team memberships the change created (create) or removed (delete). */
  readonly membershipsChanged: number;
}

export const DISPLAY_NAME_WARNING =
  'matched by display name: renaming the group in the identity provider breaks this mapping';

export class MappingService {
  constructor(private readonly store: Store) {}

  list(orgId: string): Promise<GroupMapping[]> {
    return this.store.repos.mappings.list(orgId);
  }

  async create(orgId: string, input: MappingInput, actor: Actor): Promise<MappingResult> {
    return this.store.transaction((repos) => createMapping(repos, orgId, input, actor));
  }

  /** Changes what a mapping grants (role, teams, membership); the group it matches stays. */
  async update(orgId: string, id: string, change: MappingChange, actor: Actor): Promise<MappingResult> {
    return this.store.transaction((repos) => updateMapping(repos, orgId, id, change, actor));
  }

  async delete(orgId: string, id: string, actor: Actor): Promise<MappingResult> {
    return this.store.transaction((repos) => deleteMapping(repos, orgId, id, actor));
  }
}

export interface MappingChange {
  readonly role?: string | null;
  readonly teams?: readonly string[];
  readonly grantsMembership?: boolean;
}

function checkRole(role: string | null): Role | null {
  if (role !== null && !isRole(role))
    throw new InvalidInputError('mapping.invalid_role', 'role must be Owner, Admin or User');
  return role;
}

async function teamIdsOf(repos: Repositories, orgId: string, teams: readonly string[]): Promise<string[]> {
  const ids = [];
  for (const t of teams) ids.push((await resolveTeam(repos, orgId, t)).id);
  return [...new Set(ids)];
}

export async function createMapping(
  repos: Repositories,
  orgId: string,
  input: MappingInput,
  actor: Actor,
): Promise<MappingResult> {
  const matchBy = input.matchBy ?? 'id';
  if (!MAPPING_MATCHES.includes(matchBy)) {
    throw new InvalidInputError('mapping.invalid_match', `matchBy must be one of ${MAPPING_MATCHES.join(', ')}`);
  }
  const role = checkRole(input.role ?? null);
  const value = input.group.trim();
  if (value.length === 0 || value.length > 512) {
    throw new InvalidInputError('mapping.invalid_group', 'Name the IdP group (1 to 512 characters)');
  }
  if (!(await repos.connections.get(orgId, input.connectionId))) {
    throw new NotFoundError('connection', input.connectionId);
  }
  const at = nowIso();
  const mapping: GroupMapping = {
    id: randomUUID(),
    orgId,
    connectionId: input.connectionId,
    matchBy,
    matchValue: value,
    grantsMembership: input.grantsMembership ?? true,
    role,
    teamIds: await teamIdsOf(repos, orgId, input.teams ?? []),
    version: 1,
    createdAt: at,
    updatedAt: at,
  };
  await repos.mappings.insert(mapping);
  const { added } = await repos.idpTeams.reconcile(orgId, { teamIds: mapping.teamIds, only: 'add' });
  await repos.accessFacts.bumpConfigVersion(orgId);
  await recordAudit(repos, orgId, actor, {
    action: 'mapping.created',
    target: { type: 'mapping', id: mapping.id, label: `${matchBy}=${value}` },
    data: { after: mappingJson(mapping), teamMembershipsAdded: added },
  });
  return { mapping, membershipsChanged: added };
}

export async function updateMapping(
  repos: Repositories,
  orgId: string,
  id: string,
  change: MappingChange,
  actor: Actor,
): Promise<MappingResult> {
  const before = await repos.mappings.get(orgId, id);
  if (!before) throw new NotFoundError('mapping', id);
  const after: GroupMapping = {
    ...before,
    role: change.role === undefined ? before.role : checkRole(change.role),
    teamIds: change.teams === undefined ? before.teamIds : await teamIdsOf(repos, orgId, change.teams),
    grantsMembership: change.grantsMembership ?? before.grantsMembership,
    version: before.version + 1,
    updatedAt: nowIso(),
  };
  await repos.mappings.update(after);
  const touched = [...new Set([...before.teamIds, ...after.teamIds])];
  const { added, removed } = await repos.idpTeams.reconcile(orgId, { teamIds: touched });
  await repos.accessFacts.bumpConfigVersion(orgId);
  await recordAudit(repos, orgId, actor, {
    action: 'mapping.updated',
    target: { type: 'mapping', id, label: `${before.matchBy}=${before.matchValue}` },
    data: {
      before: mappingJson(before),
      after: mappingJson(after),
      teamMembershipsAdded: added,
      teamMembershipsRemoved: removed,
    },
  });
  return { mapping: after, membershipsChanged: added + removed };
}

export async function deleteMapping(
  repos: Repositories,
  orgId: string,
  id: string,
  actor: Actor,
): Promise<MappingResult> {
  const mapping = await repos.mappings.get(orgId, id);
  if (!mapping) throw new NotFoundError('mapping', id);
  await repos.mappings.delete(orgId, id);
  const { removed } = await repos.idpTeams.reconcile(orgId, { teamIds: mapping.teamIds, only: 'remove' });
  await repos.accessFacts.bumpConfigVersion(orgId);
  await recordAudit(repos, orgId, actor, {
    action: 'mapping.deleted',
    target: { type: 'mapping', id, label: `${mapping.matchBy}=${mapping.matchValue}` },
    data: { before: mappingJson(mapping), teamMembershipsRemoved: removed },
  });
  return { mapping, membershipsChanged: removed };
}

export function mappingJson(m: GroupMapping): Record<string, unknown> {
  return {
    connectionId: m.connectionId,
    matchBy: m.matchBy,
    matchValue: m.matchValue,
    grantsMembership: m.grantsMembership,
    role: m.role,
    teamIds: m.teamIds,
  };
}

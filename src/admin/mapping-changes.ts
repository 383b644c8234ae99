/**
 * The steps of a mapping change, each run inside the caller's transaction: validate, write
 * the mapping, bring the `idp` team memberships in step set-based (one INSERT ... SELECT for
 * a 100,000-member group), bump the org's access-config version and record the audit event.
 * The mapping service commits them; the preview runs them and rolls back.
 */
import { randomUUID } from 'node:crypto';
import { recordAudit } from '../audit/audit-log.js';
import type { Actor } from '../domain/actor.js';
import { nowIso } from '../domain/clock.js';
import { InvalidInputError, NotFoundError } from '../domain/errors/index.js';
import { isRole, type Role } from '../domain/role.js';
import { MAPPING_MATCHES, type GroupMapping, type MappingMatch } from '../domain/team.js';
import type { Repositories } from '../store/store.js';
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

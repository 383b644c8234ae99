/**
 * "What would this mapping change do to people's access?", answered before anything is
 * saved. The change is applied for real inside a transaction, every affected user is
 * evaluated before and after with the same code that serves decisions, and the transaction
 * is rolled back. So the preview is exactly what saving produces (barring concurrent edits).
 */
import type { Actor } from '../domain/actor.js';
import { evaluateAccess } from '../access/effective-access.js';
import { readAccessConfig } from '../decisions/access-service.js';
import { accessPolicyOf } from '../access/policy.js';
import { NotFoundError } from '../domain/errors/index.js';
import type { MappingMatch } from '../domain/team.js';
import type { Repositories, Store } from '../store/store.js';
import {
  createMapping,
  deleteMapping,
  updateMapping,
  type MappingChange,
  type MappingInput,
} from './mapping-changes.js';
import { accessDiff, summary, type AccessSummary, type UserAccessDiff } from './access-diff.js';

export type { AccessDelta, AccessSummary, UserAccessDiff } from './access-diff.js';

export type PreviewedChange =
  | { readonly operation: 'create'; readonly mapping: MappingInput }
  | { readonly operation: 'update'; readonly mappingId: string; readonly change: MappingChange }
  | { readonly operation: 'delete'; readonly mappingId: string };

export interface MappingPreview {
  /** Members of the groups the mapping matches. */
  readonly affectedUsers: number;
  /** Users listed below (the first `limit` by userName). */
  readonly users: readonly UserAccessDiff[];
  readonly truncated: boolean;
  /** Of the listed users, how many gain or lose something. */
  readonly changedUsers: number;
  /** After the change, the mapping's members get every scope (no team, no role above User, the User default is every scope). */
  readonly grantsEveryScope: boolean;
}

class Rollback extends Error {
  constructor(readonly preview: MappingPreview) {
    super('preview rollback');
  }
}

export async function previewMappingChange(
  store: Store,
  orgId: string,
  change: PreviewedChange,
  actor: Actor,
  limit = 200,
): Promise<MappingPreview> {
  try {
    await store.transaction(async (repos) => {
      const match = await matchOf(repos, orgId, change);
      const { total, users } = await repos.accessFacts.membersOfMatchedGroups(orgId, match, limit);
      const evaluate = async (): Promise<Map<string, AccessSummary>> => {
        const config = await readAccessConfig(repos, orgId);
        const out = new Map<string, AccessSummary>();
        for (const u of users) {
          const facts = await repos.accessFacts.userFacts(orgId, u.id);
          if (facts) out.set(u.id, summary(evaluateAccess(config, facts)));
        }
        return out;
      };
      const before = await evaluate();
      const grantsEveryScope = await everyScopeAfter(repos, orgId, change);
      if (change.operation === 'create') await createMapping(repos, orgId, change.mapping, actor);
      else if (change.operation === 'update') await updateMapping(repos, orgId, change.mappingId, change.change, actor);
      else await deleteMapping(repos, orgId, change.mappingId, actor);
      const after = await evaluate();
      const diffs: UserAccessDiff[] = users.flatMap((u) => {
        const b = before.get(u.id);
        const a = after.get(u.id);
        return a && b ? [accessDiff(u.id, u.userName, b, a)] : [];
      });
      throw new Rollback({
        affectedUsers: total,
        users: diffs,
        truncated: total > users.length,
        changedUsers: diffs.filter((d) => d.changed).length,
        grantsEveryScope,
      });
    });
  } catch (error) {
    if (error instanceof Rollback) return error.preview;
    throw error;
  }
  throw new Error('unreachable: a preview always rolls back');
}

async function matchOf(
  repos: Repositories,
  orgId: string,
  change: PreviewedChange,
): Promise<{ connectionId: string; matchBy: MappingMatch; matchValue: string }> {
  if (change.operation === 'create') {
    return {
      connectionId: change.mapping.connectionId,
      matchBy: change.mapping.matchBy ?? 'id',
      matchValue: change.mapping.group.trim(),
    };
  }
  const existing = await repos.mappings.get(orgId, change.mappingId);
  if (!existing) throw new NotFoundError('mapping', change.mappingId);
  return existing;
}

/** Whether the mapping, once changed, gives its members the User default of every scope. */
async function everyScopeAfter(repos: Repositories, orgId: string, change: PreviewedChange): Promise<boolean> {
  if (change.operation === 'delete') return false;
  let shape: { role: string | null; teams: number; grantsMembership: boolean };
  if (change.operation === 'create') {
    const m = change.mapping;
    shape = { role: m.role ?? null, teams: m.teams?.length ?? 0, grantsMembership: m.grantsMembership ?? true };
  } else {
    const existing = await repos.mappings.get(orgId, change.mappingId);
    if (!existing) return false;
    const c = change.change;
    shape = {
      role: c.role !== undefined ? c.role : existing.role,
      teams: c.teams !== undefined ? c.teams.length : existing.teamIds.length,
      grantsMembership: c.grantsMembership ?? existing.grantsMembership,
    };
  }
  if (!shape.grantsMembership || shape.teams > 0 || (shape.role !== null && shape.role !== 'User')) return false;
  return accessPolicyOf(await repos.policies.get(orgId)).defaultUserScopes === null;
}

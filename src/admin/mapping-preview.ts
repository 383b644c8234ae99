/**
 * "What would this mapping change do to people's access?", answered before anything is
 * saved. The change is applied for real inside a transaction, every affected user is
 * evaluated before and after with the same code that serves decisions, and the transaction
 * is rolled back. So the preview is exactly what saving produces (barring concurrent edits).
 */
import type { Actor } from '../domain/actor.js';
import { evaluateAccess, type EffectiveAccess } from '../access/effective-access.js';
import { readAccessConfig } from '../decisions/access-service.js';
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

export type PreviewedChange =
  | { readonly operation: 'create'; readonly mapping: MappingInput }
  | { readonly operation: 'update'; readonly mappingId: string; readonly change: MappingChange }
  | { readonly operation: 'delete'; readonly mappingId: string };

export interface AccessSummary {
  readonly member: boolean;
  readonly role: string;
  readonly teams: readonly string[];
  readonly scopes: readonly string[];
  /** `group: action` for each device group the user may act on. */
  readonly deviceGroups: readonly string[];
}

export interface AccessDelta {
  readonly teams: readonly string[];
  readonly scopes: readonly string[];
  readonly deviceGroups: readonly string[];
}

export interface UserAccessDiff {
  readonly userId: string;
  readonly userName: string;
  readonly before: AccessSummary;
  readonly after: AccessSummary;
  readonly gains: AccessDelta;
  readonly losses: AccessDelta;
  readonly changed: boolean;
}

export interface MappingPreview {
  /** Members of the groups the mapping matches. */
  readonly affectedUsers: number;
  /** Users listed below (the first `limit` by userName). */
  readonly users: readonly UserAccessDiff[];
  readonly truncated: boolean;
  /** Of the listed users, how many gain or lose something. */
  readonly changedUsers: number;
}

class Rollback extends Error {
  constructor(readonly preview: MappingPreview) {
    super('preview rollback');
  }
}

function summary(a: EffectiveAccess): AccessSummary {
  return {
    member: a.member,
    role: a.role,
    teams: a.teams.map((t) => t.name).sort(),
    scopes: [...a.scopes].sort(),
    deviceGroups: a.deviceGroups.flatMap((d) => d.actions.map((action) => `${d.name}: ${action}`)).sort(),
  };
}

const minus = (a: readonly string[], b: readonly string[]): string[] => a.filter((x) => !b.includes(x));

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
      if (change.operation === 'create') await createMapping(repos, orgId, change.mapping, actor);
      else if (change.operation === 'update') await updateMapping(repos, orgId, change.mappingId, change.change, actor);
      else await deleteMapping(repos, orgId, change.mappingId, actor);
      const after = await evaluate();
      const diffs: UserAccessDiff[] = users.flatMap((u) => {
        const b = before.get(u.id);
        const a = after.get(u.id);
        if (!a || !b) return [];
        const delta = (x: AccessSummary, y: AccessSummary): AccessDelta => ({
          teams: minus(x.teams, y.teams),
          scopes: minus(x.scopes, y.scopes),
          deviceGroups: minus(x.deviceGroups, y.deviceGroups),
        });
        const gains = delta(a, b);
        const losses = delta(b, a);
        const size = (d: AccessDelta): number => d.teams.length + d.scopes.length + d.deviceGroups.length;
        const changed = size(gains) + size(losses) > 0 || a.role !== b.role || a.member !== b.member;
        return [{ userId: u.id, userName: u.userName, before: b, after: a, gains, losses, changed }];
      });
      throw new Rollback({
        affectedUsers: total,
        users: diffs,
        truncated: total > users.length,
        changedUsers: diffs.filter((d) => d.changed).length,
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

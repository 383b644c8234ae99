/**
 * Mappings: "IdP group G of connection C → org membership, role R, teams T1..Tn". Each
 * change is one transaction (mapping-changes.ts); a preview shows its effect first.
 */
import type { Actor } from '../domain/actor.js';
import { NotFoundError } from '../domain/errors/index.js';
import type { GroupMapping } from '../domain/team.js';
import type { Store } from '../store/store.js';
import {
  createMapping,
  deleteMapping,
  updateMapping,
  type MappingChange,
  type MappingInput,
  type MappingResult,
} from './mapping-changes.js';
import { previewMappingChange, type MappingPreview, type PreviewedChange } from './mapping-preview.js';
import { describeMapping, type MappingView } from './mapping-views.js';

export class MappingService {
  constructor(private readonly store: Store) {}

  list(orgId: string): Promise<GroupMapping[]> {
    return this.store.repos.mappings.list(orgId);
  }

  async get(orgId: string, id: string): Promise<GroupMapping> {
    const mapping = await this.store.repos.mappings.get(orgId, id);
    if (!mapping) throw new NotFoundError('mapping', id);
    return mapping;
  }

  /** The mapping with its teams' names, the group it matches and any warning (the console's view). */
  describe(orgId: string, mapping: GroupMapping): Promise<MappingView> {
    return describeMapping(this.store, orgId, mapping);
  }

  /** The connection's group a mapping input would match today, if any. */
  matchedGroup(
    orgId: string,
    input: MappingInput,
  ): Promise<{ id: string; displayName: string; members: number } | undefined> {
    return this.store.readModels.directory.matchedGroup(orgId, {
      connectionId: input.connectionId,
      matchBy: input.matchBy ?? 'id',
      matchValue: input.group.trim(),
    });
  }

  /** What a change would do to each affected user's access; nothing is saved. */
  preview(orgId: string, change: PreviewedChange, actor: Actor, limit?: number): Promise<MappingPreview> {
    return previewMappingChange(this.store, orgId, change, actor, limit);
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

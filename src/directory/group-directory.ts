/**
 * Groups and their memberships as an identity provider pushes them, within one connection.
 * Member changes are deltas (row inserts and deletes) applied in order inside one
 * transaction that holds the group's row lock: adding a present member is a no-op,
 * concurrent changes never lose one another, and a one-member change costs the same in a
 * group of 100 or 100,000. Members are cleared only by an explicit full replacement.
 */
import { randomUUID } from 'node:crypto';
import type { Actor } from '../domain/actor.js';
import { auditEvent, recordAudit } from '../audit/audit-log.js';
import type { DirectoryGroup, GroupInput } from '../domain/directory.js';
import { NotFoundError, PreconditionFailedError } from '../domain/errors/index.js';
import type { GroupFilter } from '../domain/directory-filter.js';
import type { GroupSearch } from '../store/repositories/directory-groups.js';
import { nowIso } from '../domain/clock.js';
import type { Repositories, Store } from '../store/store.js';
import type { DirectoryHooks } from './hooks.js';
import { validateGroupInput } from './input-validation.js';
import type { ConnectionScope } from './scope.js';
import type { WriteOptions } from './user-directory.js';

/** One membership step; steps apply in order, as the operations of a PATCH do. */
export type MemberStep =
  | { readonly op: 'add'; readonly userIds: readonly string[] }
  | { readonly op: 'remove'; readonly userIds: readonly string[] }
  | { readonly op: 'replace'; readonly userIds: readonly string[] };

export interface GroupChange {
  readonly attributes?: Partial<GroupInput>;
  readonly members: readonly MemberStep[];
}

export interface MemberDelta {
  readonly added: string[];
  readonly removed: string[];
  /** Requested members that are not users of this connection (skipped). */
  readonly unknown: string[];
}

async function loadInScope(repos: Repositories, scope: ConnectionScope, id: string): Promise<DirectoryGroup> {
  const group = await repos.groups.get(scope.orgId, id);
  if (!group || group.connectionId !== scope.connectionId) throw new NotFoundError('group', id);
  return group;
}

/** The group, its row locked for the transaction, after checking scope and the caller's expected version. */
async function lockForWrite(
  repos: Repositories,
  scope: ConnectionScope,
  id: string,
  options: WriteOptions,
): Promise<DirectoryGroup> {
  const current = await repos.groups.getLocked(scope.orgId, id);
  if (!current || current.connectionId !== scope.connectionId) throw new NotFoundError('group', id);
  if (options.ifMatch !== undefined && options.ifMatch !== current.version) {
    throw new PreconditionFailedError('group', current.version);
  }
  return current;
}

async function applySteps(
  repos: Repositories,
  scope: ConnectionScope,
  groupId: string,
  steps: readonly MemberStep[],
  at: string,
): Promise<MemberDelta & { readonly names: ReadonlyMap<string, string> }> {
  const added = new Set<string>();
  const removed = new Set<string>();
  const unknown = new Set<string>();
  const names = new Map<string, string>();
  for (const step of steps) {
    const known = await repos.users.existingUserNames(scope.orgId, scope.connectionId, step.userIds);
    for (const [id, userName] of known) names.set(id, userName);
    for (const id of step.userIds) if (!known.has(id)) unknown.add(id);
    const ids = step.userIds.filter((id) => known.has(id));
    if (step.op === 'replace') {
      const delta = await repos.groups.replaceMembers(scope.orgId, groupId, ids, at);
      delta.added.forEach((id) => (removed.has(id) ? removed.delete(id) : added.add(id)));
      delta.removed.forEach((id) => (added.has(id) ? added.delete(id) : removed.add(id)));
    } else if (step.op === 'add') {
      const fresh = await repos.groups.addMembersReturning(scope.orgId, groupId, ids, at);
      fresh.forEach((id) => (removed.has(id) ? removed.delete(id) : added.add(id)));
    } else {
      const gone = await repos.groups.removeMembersReturning(scope.orgId, groupId, ids);
      gone.forEach((id) => (added.has(id) ? added.delete(id) : removed.add(id)));
    }
  }
  return { added: [...added], removed: [...removed], unknown: [...unknown], names };
}

/** How many users a membership audit event names (it always says how many changed). */
const NAMED_MEMBERS = 20;

/**
 * The users a membership change added and removed, by userName, for its audit event: the
 * first NAMED_MEMBERS of each, looked up only for those a step did not name already.
 */
async function namedMembers(
  repos: Repositories,
  orgId: string,
  delta: MemberDelta & { readonly names: ReadonlyMap<string, string> },
): Promise<{ addedUsers: string[]; removedUsers: string[] }> {
  const added = delta.added.slice(0, NAMED_MEMBERS);
  const removed = delta.removed.slice(0, NAMED_MEMBERS);
  const missing = [...added, ...removed].filter((id) => !delta.names.has(id));
  const looked = missing.length ? await repos.users.userNamesOf(orgId, missing) : new Map<string, string>();
  const name = (id: string): string => delta.names.get(id) ?? looked.get(id) ?? id;
  return { addedUsers: added.map(name), removedUsers: removed.map(name) };
}

export class GroupDirectory {
  constructor(
    private readonly store: Store,
    private readonly hooks: DirectoryHooks,
  ) {}

  async create(
    scope: ConnectionScope,
    input: GroupInput,
    memberIds: readonly string[],
    actor: Actor,
  ): Promise<{ group: DirectoryGroup; delta: MemberDelta }> {
    validateGroupInput(input);
    return this.store.transaction(async (repos) => {
      const at = nowIso();
      const group: DirectoryGroup = {
        id: randomUUID(),
        orgId: scope.orgId,
        connectionId: scope.connectionId,
        displayName: input.displayName,
        externalId: input.externalId,
        extensions: null,
        version: 1,
        createdAt: at,
        updatedAt: at,
      };
      await repos.groups.insert(group);
      const delta = await applySteps(repos, scope, group.id, [{ op: 'add', userIds: memberIds }], at);
      await recordAudit(repos, scope.orgId, actor, {
        action: 'group.created',
        target: { type: 'group', id: group.id, label: group.displayName },
        data: {
          connectionId: scope.connectionId,
          membersAdded: delta.added.length,
          ...(delta.added.length ? { addedUsers: (await namedMembers(repos, scope.orgId, delta)).addedUsers } : {}),
          unknownMembers: delta.unknown.length,
        },
      });
      await this.hooks.afterChange(repos, scope.orgId, { kind: 'groups_created', groupIds: [group.id] });
      if (delta.added.length > 0) {
        await this.hooks.afterChange(repos, scope.orgId, {
          kind: 'members_changed',
          groupId: group.id,
          added: delta.added,
          removed: [],
          names: delta.names,
        });
      }
      return { group, delta };
    });
  }

  async get(scope: ConnectionScope, id: string): Promise<DirectoryGroup> {
    return loadInScope(this.store.repos, scope, id);
  }

  /** The group with its members, read together. */
  async getWithMembers(
    scope: ConnectionScope,
    id: string,
  ): Promise<{ group: DirectoryGroup; members: Array<{ id: string; userName: string; displayName: string | null }> }> {
    const found = await this.store.repos.groups.getWithMembers(scope.orgId, id);
    if (!found || found.group.connectionId !== scope.connectionId) throw new NotFoundError('group', id);
    return found;
  }

  /** Applies attribute changes and membership steps in one transaction under the group's row lock. */
  async change(
    scope: ConnectionScope,
    id: string,
    change: GroupChange,
    options: WriteOptions,
    actor: Actor,
  ): Promise<{ group: DirectoryGroup; delta: MemberDelta }> {
    if (change.attributes) validateGroupInput(change.attributes);
    const step = change.members[0];
    if (
      this.store.oneStatementMemberSteps &&
      this.hooks.unmappedMemberChangesOnlyRecordEvents === true &&
      (change.attributes === undefined || Object.keys(change.attributes).length === 0) &&
      change.members.length === 1 &&
      step !== undefined &&
      step.op !== 'replace' &&
      step.userIds.length > 0 &&
      step.userIds.length <= NAMED_MEMBERS &&
      options.ifMatch === undefined
    ) {
      const done = await this.stepAtOnce(scope, id, step.op, step.userIds, actor);
      if (done) return done;
    }
    return this.store.transaction(async (repos) => {
      const current = await lockForWrite(repos, scope, id, options);
      const at = nowIso();
      const delta = await applySteps(repos, scope, id, change.members, at);
      const attrs = change.attributes ?? {};
      const renamed = attrs.displayName !== undefined && attrs.displayName !== current.displayName;
      const attributesChanged = renamed || (attrs.externalId !== undefined && attrs.externalId !== current.externalId);
      const membersChanged = delta.added.length > 0 || delta.removed.length > 0;
      let group = current;
      if (attributesChanged || membersChanged) {
        group = {
          ...current,
          displayName: attrs.displayName ?? current.displayName,
          externalId: attrs.externalId !== undefined ? attrs.externalId : current.externalId,
          version: current.version + 1,
          updatedAt: at,
        };
        await repos.groups.replace(group);
      }
      if (attributesChanged) {
        await recordAudit(repos, scope.orgId, actor, {
          action: renamed ? 'group.renamed' : 'group.updated',
          target: { type: 'group', id, label: group.displayName },
          data: renamed ? { from: current.displayName, to: group.displayName } : { connectionId: scope.connectionId },
        });
        await this.hooks.afterChange(repos, scope.orgId, { kind: 'groups_upserted', groupIds: [id] });
      }
      if (membersChanged || delta.unknown.length > 0) {
        await recordAudit(repos, scope.orgId, actor, {
          action: 'group.members_changed',
          target: { type: 'group', id, label: group.displayName },
          data: {
            added: delta.added.length,
            removed: delta.removed.length,
            ...(await namedMembers(repos, scope.orgId, delta)),
            unknownMembers: delta.unknown.length,
          },
        });
      }
      if (membersChanged) {
        await this.hooks.afterChange(repos, scope.orgId, {
          kind: 'members_changed',
          groupId: id,
          added: delta.added,
          removed: delta.removed,
          names: delta.names,
        });
      }
      return { group, delta };
    });
  }

  /**
   * The few-member add or remove an IdP sends all day, in one statement where the store can
   * (store/member-step-statement.ts): the same rows, audit event and outbox event as the
   * transaction below. Undefined when a mapping names the group: then the transaction runs
   * (it also brings teams, caches and access history in step).
   */
  private async stepAtOnce(
    scope: ConnectionScope,
    id: string,
    op: 'add' | 'remove',
    userIds: readonly string[],
    actor: Actor,
  ): Promise<{ group: DirectoryGroup; delta: MemberDelta } | undefined> {
    const requested = [...new Set(userIds)];
    const outcome = await this.store.applyMemberStep({
      orgId: scope.orgId,
      connectionId: scope.connectionId,
      groupId: id,
      op,
      userIds: requested,
      at: nowIso(),
      audit: auditEvent(scope.orgId, actor, { action: 'group.members_changed', target: { type: 'group', id } }),
    });
    if (!outcome) throw new NotFoundError('group', id);
    if (outcome.mapped) return undefined;
    const changed = outcome.changed.map((u) => u.id);
    const unknown = [...outcome.unknown];
    const delta: MemberDelta =
      op === 'add' ? { added: changed, removed: [], unknown } : { added: [], removed: changed, unknown };
    return { group: outcome.group, delta };
  }

  async delete(scope: ConnectionScope, id: string, options: WriteOptions, actor: Actor): Promise<void> {
    await this.store.transaction(async (repos) => {
      const current = await lockForWrite(repos, scope, id, options);
      const formerMemberIds = await repos.groups.memberIds(scope.orgId, id);
      await repos.groups.delete(scope.orgId, id);
      await recordAudit(repos, scope.orgId, actor, {
        action: 'group.deleted',
        target: { type: 'group', id, label: current.displayName },
        data: { connectionId: scope.connectionId, members: formerMemberIds.length },
      });
      await this.hooks.afterChange(repos, scope.orgId, { kind: 'group_deleted', groupId: id, formerMemberIds });
    });
  }

  search(scope: ConnectionScope, query: GroupSearch): Promise<{ rows: DirectoryGroup[]; total: number | undefined }> {
    return this.store.repos.groups.search(scope.orgId, scope.connectionId, query);
  }

  count(scope: ConnectionScope, filter?: GroupFilter): Promise<number> {
    return this.store.repos.groups.countMatching(scope.orgId, scope.connectionId, filter);
  }

  members(
    scope: ConnectionScope,
    id: string,
  ): Promise<Array<{ id: string; userName: string; displayName: string | null }>> {
    return this.store.repos.groups.members(scope.orgId, id);
  }
}

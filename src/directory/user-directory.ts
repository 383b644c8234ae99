/**
 * Users as an identity provider pushes them, within one connection. Each change is one
 * transaction holding the row lock, the write, the audit event and the access hook.
 * Deactivating a user ends their sessions; deleting one removes their memberships and
 * sessions (foreign keys cascade).
 */
import { randomUUID } from 'node:crypto';
import type { Actor } from '../domain/actor.js';
import { auditEvent, recordAudit, type AuditEntry } from '../audit/audit-log.js';
import type { DirectoryUser, UserInput } from '../domain/directory.js';
import { ConflictError, NotFoundError, PreconditionFailedError } from '../domain/errors/index.js';
import type { UserFilter } from '../domain/directory-filter.js';
import type { UserPageResult, UserSearch } from '../store/repositories/directory-user-reads.js';
import { nowIso } from '../domain/clock.js';
import type { Repositories, Store } from '../store/store.js';
import type { DirectoryHooks } from './hooks.js';
import { validateUserInput } from './input-validation.js';
import type { ConnectionScope } from './scope.js';

export interface WriteOptions {
  /** The version the caller last saw (If-Match); the write is refused if the user has changed since. */
  readonly ifMatch?: number;
}

async function loadInScope(repos: Repositories, scope: ConnectionScope, id: string): Promise<DirectoryUser> {
  const user = await repos.users.get(scope.orgId, id);
  if (!user || user.connectionId !== scope.connectionId) throw new NotFoundError('user', id);
  return user;
}

/** The user, its row locked for the transaction, after checking the caller's expected version. */
async function lockForWrite(
  repos: Repositories,
  scope: ConnectionScope,
  id: string,
  options: WriteOptions,
): Promise<DirectoryUser> {
  if (!(await repos.users.lock(scope.orgId, id))) throw new NotFoundError('user', id);
  const current = await loadInScope(repos, scope, id);
  if (options.ifMatch !== undefined && options.ifMatch !== current.version) {
    throw new PreconditionFailedError('user', current.version);
  }
  return current;
}

/** A new user of the connection, as created from its input. */
function newUser(scope: ConnectionScope, input: UserInput, at: string): DirectoryUser {
  return {
    ...input,
    id: randomUUID(),
    orgId: scope.orgId,
    connectionId: scope.connectionId,
    version: 1,
    createdAt: at,
    updatedAt: at,
  };
}

/** The audit entry of a created user. */
function createdEntry(scope: ConnectionScope, user: DirectoryUser): AuditEntry {
  return {
    action: 'user.created',
    target: { type: 'user', id: user.id, label: user.userName },
    data: { connectionId: scope.connectionId, active: user.active },
  };
}

export class UserDirectory {
  constructor(
    private readonly store: Store,
    private readonly hooks: DirectoryHooks,
    /** Whether a new user of the org has access at once (then its creation is recorded in its access history). */
    private readonly creationGrantsAccess: (orgId: string) => Promise<boolean> = () => Promise.resolve(false),
  ) {}

  async create(scope: ConnectionScope, input: UserInput, actor: Actor): Promise<DirectoryUser> {
    validateUserInput(input);
    const user = newUser(scope, input, nowIso());
    const entry = createdEntry(scope, user);
    const grants = await this.creationGrantsAccess(scope.orgId);
    if (this.hooks.ignores?.has('users_created') && !grants) {
      // Nothing else to bring in step: the user, its values and its audit event in one write.
      await this.store.insertUserWithAudit(user, auditEvent(scope.orgId, actor, entry));
      return user;
    }
    return this.store.transaction(async (repos) => {
      await repos.users.insert(user);
      await recordAudit(repos, scope.orgId, actor, entry);
      await this.hooks.afterChange(repos, scope.orgId, { kind: 'users_created', userIds: [user.id] });
      if (grants) repos.accessChanges.touch(scope.orgId, [user.id]);
      return user;
    });
  }

  /**
   * Several new users in one transaction (a directory sync's page): each validated, written
   * with its audit event, the hook told once. Inputs the directory refuses, and users whose
   * userName or externalId is taken, are returned as refused (the rest are written), so one
   * bad entry never holds up the others.
   */
  async createMany(
    scope: ConnectionScope,
    inputs: readonly UserInput[],
    actor: Actor,
  ): Promise<{ created: DirectoryUser[]; refused: Array<{ input: UserInput; error: Error }> }> {
    const refused: Array<{ input: UserInput; error: Error }> = [];
    const at = nowIso();
    const users: DirectoryUser[] = [];
    for (const input of inputs) {
      try {
        validateUserInput(input);
      } catch (error) {
        refused.push({ input, error: error as Error });
        continue;
      }
      users.push(newUser(scope, input, at));
    }
    if (users.length === 0) return { created: [], refused };
    const events = users.map((user) => auditEvent(scope.orgId, actor, createdEntry(scope, user)));
    // Asked before the transaction: on SQLite it holds the one connection.
    const grants = await this.creationGrantsAccess(scope.orgId);
    try {
      await this.store.transaction(async (repos) => {
        await repos.users.insertMany(users);
        await repos.audit.appendMany(events);
        await this.hooks.afterChange(repos, scope.orgId, { kind: 'users_created', userIds: users.map((u) => u.id) });
        if (grants) {
          repos.accessChanges.touch(
            scope.orgId,
            users.map((u) => u.id),
          );
        }
      });
      return { created: users, refused };
    } catch (error) {
      if (!(error instanceof ConflictError) || users.length === 1) throw error;
      // One of them is taken: write them one by one, so that only the conflicting ones are refused.
      const created: DirectoryUser[] = [];
      for (const user of users) {
        const { id: _id, orgId: _org, connectionId: _c, version: _v, createdAt: _ca, updatedAt: _ua, ...input } = user;
        try {
          created.push(await this.create(scope, input, actor));
        } catch (e) {
          if (!(e instanceof ConflictError)) throw e;
          refused.push({ input, error: e });
        }
      }
      return { created, refused };
    }
  }

  async get(scope: ConnectionScope, id: string): Promise<DirectoryUser> {
    return loadInScope(this.store.repos, scope, id);
  }

  /**
   * The user with their values and groups in one statement (`GET /Users/{id}`). On
   * PostgreSQL it is the read a one-statement update makes, read together with the GETs
   * that arrive meanwhile.
   */
  async getWithGroups(
    scope: ConnectionScope,
    id: string,
  ): Promise<{ user: DirectoryUser; groups: ReadonlyArray<{ id: string; displayName: string }> }> {
    const read = this.store.oneStatementUserUpdates
      ? await this.store.readUser(scope.orgId, scope.connectionId, id)
      : await this.store.repos.users.findInConnectionWithGroups(scope.orgId, scope.connectionId, id);
    if (!read) throw new NotFoundError('user', id);
    return { user: read.user, groups: read.groups };
  }

  /**
   * Replaces a user with what `change` makes of the current one (PUT, PATCH). The row is
   * locked first, so concurrent changes apply one after the other and none is lost.
   */
  async update(
    scope: ConnectionScope,
    id: string,
    change: (current: DirectoryUser) => UserInput,
    options: WriteOptions,
    actor: Actor,
  ): Promise<DirectoryUser> {
    return (await this.updateWithGroups(scope, id, change, options, actor)).user;
  }

  /** `update`, and the user's groups when they were read on the way (for the response). */
  async updateWithGroups(
    scope: ConnectionScope,
    id: string,
    change: (current: DirectoryUser) => UserInput,
    options: WriteOptions,
    actor: Actor,
  ): Promise<{ user: DirectoryUser; groups?: ReadonlyArray<{ id: string; displayName: string }> }> {
    if (this.store.oneStatementUserUpdates && this.hooks.userUpdatesOnlyAnnounceAndTouch === true) {
      const done = await this.updateAtOnce(scope, id, change, options, actor);
      if (done) return done;
    }
    const user = await this.store.transaction(async (repos) => {
      const current = await lockForWrite(repos, scope, id, options);
      const { next, entry } = updated(scope, current, change(current));
      await repos.users.replace(next, current);
      const deactivated = entry.action === 'user.deactivated';
      if (deactivated) await repos.sessions.revokeAllForUser(scope.orgId, id, next.updatedAt);
      await recordAudit(repos, scope.orgId, actor, entry);
      await this.hooks.afterChange(repos, scope.orgId, {
        kind: 'users_upserted',
        userIds: [id],
        // A reactivation's access comes from the user's groups; a deactivation's is the inactive state.
        accessUserIds: entry.action === 'user.reactivated' ? [id] : [],
        ...(deactivated ? { deactivated: [{ id, userName: next.userName }] } : {}),
      });
      return next;
    });
    return { user };
  }

  /**
   * The same update as one read and one guarded write where the store can (PostgreSQL):
   * what the transaction above writes, in two round trips. Undefined, having written
   * nothing, when the transaction must decide: no such user, an If-Match that does not
   * hold (its 404 and 412), a reactivation (the user's groups decide their access), or a
   * user changed by someone else between the read and the write.
   */
  private async updateAtOnce(
    scope: ConnectionScope,
    id: string,
    change: (current: DirectoryUser) => UserInput,
    options: WriteOptions,
    actor: Actor,
  ): Promise<{ user: DirectoryUser; groups: ReadonlyArray<{ id: string; displayName: string }> } | undefined> {
    const read = await this.store.readUserForUpdate(scope.orgId, scope.connectionId, id);
    if (!read || (options.ifMatch !== undefined && options.ifMatch !== read.user.version)) return undefined;
    const { next, entry } = updated(scope, read.user, change(read.user));
    if (!read.user.active && next.active) return undefined;
    const written = await this.store.writeUserUpdate({
      read,
      next,
      audit: auditEvent(scope.orgId, actor, entry),
      deactivated: entry.action === 'user.deactivated',
      at: next.updatedAt,
    });
    // A user's update changes no membership: the groups read are the user's groups.
    return written ? { user: next, groups: read.groups } : undefined;
  }

  async delete(scope: ConnectionScope, id: string, options: WriteOptions, actor: Actor): Promise<void> {
    await this.store.transaction(async (repos) => {
      const current = await lockForWrite(repos, scope, id, options);
      await repos.users.delete(scope.orgId, id);
      await recordAudit(repos, scope.orgId, actor, {
        action: 'user.deleted',
        target: { type: 'user', id, label: current.userName },
        data: { connectionId: scope.connectionId },
      });
      await this.hooks.afterChange(repos, scope.orgId, { kind: 'users_deleted', userIds: [id] });
    });
  }

  /** The connection's user with this userName (case-insensitive), with their direct groups when asked. */
  findByUserName(
    scope: ConnectionScope,
    userName: string,
    withGroups: boolean,
  ): Promise<{ user: DirectoryUser; groups: Array<{ id: string; displayName: string }> } | undefined> {
    return this.store.repos.users.findInConnectionByUserName(scope.orgId, scope.connectionId, userName, withGroups);
  }

  search(scope: ConnectionScope, query: UserSearch): Promise<UserPageResult> {
    return this.store.repos.users.search(scope.orgId, scope.connectionId, query);
  }

  count(scope: ConnectionScope, filter?: UserFilter): Promise<number> {
    return this.store.repos.users.countMatching(scope.orgId, scope.connectionId, filter);
  }

  groupsOf(
    scope: ConnectionScope,
    userIds: readonly string[],
  ): Promise<Map<string, Array<{ id: string; displayName: string }>>> {
    return this.store.repos.users.groupsOf(scope.orgId, userIds);
  }
}

/** A user as `input` makes it (validated, its version bumped) and the audit entry of the change. */
function updated(
  scope: ConnectionScope,
  current: DirectoryUser,
  input: UserInput,
): { next: DirectoryUser; entry: AuditEntry } {
  validateUserInput(input);
  const next: DirectoryUser = {
    ...input,
    id: current.id,
    orgId: scope.orgId,
    connectionId: scope.connectionId,
    version: current.version + 1,
    createdAt: current.createdAt,
    updatedAt: nowIso(),
  };
  const action =
    current.active && !next.active
      ? 'user.deactivated'
      : !current.active && next.active
        ? 'user.reactivated'
        : 'user.updated';
  return {
    next,
    entry: {
      action,
      target: { type: 'user', id: current.id, label: next.userName },
      data: { connectionId: scope.connectionId, version: next.version, ...changedAttributes(current, next) },
    },
  };
}

const UNAUDITED = new Set(['version', 'updatedAt', 'createdAt']);

/** The attributes a change altered, as { before, after } (audit deltas). */
export function changedAttributes(
  current: DirectoryUser,
  next: DirectoryUser,
): { before?: Record<string, unknown>; after?: Record<string, unknown> } {
  const before: Record<string, unknown> = {};
  const after: Record<string, unknown> = {};
  for (const key of Object.keys(next) as Array<keyof DirectoryUser>) {
    if (UNAUDITED.has(key)) continue;
    if (JSON.stringify(current[key]) !== JSON.stringify(next[key])) {
      before[key] = current[key] ?? null;
      after[key] = next[key] ?? null;
    }
  }
  return Object.keys(after).length > 0 ? { before, after } : {};
}

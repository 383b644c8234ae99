/**
 * The groups of a directory sync run and their memberships.
 *
 * Groups the directory lists (within the connection's group filter, and every group those
 * nest) are created or renamed; groups gone from it are deleted. A group's memberships
 * hold its flattened members: its own users, the members of the groups it nests, however
 * deep (cycles included, each group counted once), and every active user when the
 * directory says "everyone in the domain". Mappings see that set; the nesting itself is
 * kept beside it for the console.
 *
 * Every group is read before anything is written to memberships; then removals are
 * applied, groups gone from the directory deleted, and additions applied last, so a run
 * stopped halfway may leave someone with less access than the directory says, never with
 * more. The next run completes the work. A group the connection made before its first sync
 * (at a sign-in, with no directory id) is adopted by its name.
 */
import type { SourceGroup } from '../../domain/directory-source.js';
import { NotFoundError } from '../../domain/errors/index.js';
import type { SyncContext } from './sync-context.js';

/** How many groups' members are read at once. */
const MEMBER_READS_AHEAD = 6;
/** How many groups' current memberships one query reads. */
const GROUPS_PER_READ = 25;

interface GroupMembers {
  readonly users: Set<string>;
  readonly nested: Set<string>;
  everyone: boolean;
}

export async function syncGroups(ctx: SyncContext, userIdOf: ReadonlyMap<string, string>): Promise<void> {
  const { orgId, connectionId } = ctx.scope;
  const repos = ctx.store.repos;
  const listed = new Map<string, SourceGroup>();
  for await (const page of ctx.source.groups()) for (const g of page) listed.set(g.externalId, g);

  const existing = new Map<string, { id: string; displayName: string }>();
  /** Groups without a directory id (made at sign-ins), by name: adopted by the directory's group of that name. */
  const strays = new Map<string, string>();
  for (const g of await repos.groups.connectionGroups(orgId, connectionId)) {
    if (g.externalId !== null) existing.set(g.externalId, g);
    else if (!strays.has(g.displayName)) strays.set(g.displayName, g.id);
  }

  /** The group of the connection for a directory group: created or renamed as needed. */
  const groupIdOf = new Map<string, string>();
  const ensure = async (g: SourceGroup): Promise<string> => {
    const known = groupIdOf.get(g.externalId);
    if (known) return known;
    const current = existing.get(g.externalId);
    const stray = strays.get(g.displayName);
    let id: string;
    if (!current && stray) {
      id = stray;
      strays.delete(g.displayName);
      await ctx.groups.change(ctx.scope, id, { attributes: { externalId: g.externalId }, members: [] }, {}, ctx.actor);
      ctx.counts.groupsUpdated++;
    } else if (!current) {
      id = (await ctx.groups.create(ctx.scope, { displayName: g.displayName, externalId: g.externalId }, [], ctx.actor))
        .group.id;
      ctx.counts.groupsCreated++;
    } else {
      id = current.id;
      if (current.displayName !== g.displayName) {
        await ctx.groups.change(
          ctx.scope,
          id,
          { attributes: { displayName: g.displayName }, members: [] },
          {},
          ctx.actor,
        );
        ctx.counts.groupsUpdated++;
      }
    }
    groupIdOf.set(g.externalId, id);
    return id;
  };

  // Read every synced group's own members (following what it nests), a few groups at a
  // time: each read is a series of pages, and the directory answers one page in a round
  // trip that would otherwise leave this run waiting. The shared pacing keeps the quota.
  const readMembers = async (g: SourceGroup): Promise<GroupMembers> => {
    const members: GroupMembers = { users: new Set(), nested: new Set(), everyone: false };
    for await (const page of ctx.source.members(g.externalId)) {
      for (const m of page) {
        if (m.type === 'user') {
          const userId = userIdOf.get(m.externalId);
          if (userId) members.users.add(userId);
        } else if (m.type === 'group') {
          const child = listed.get(m.externalId);
          if (child && child.externalId !== g.externalId) members.nested.add(child.externalId);
        } else {
          members.everyone = true;
        }
      }
    }
    return members;
  };
  const direct = new Map<string, GroupMembers>();
  const queue = [...listed.values()].filter((g) => g.included);
  const reading = new Map<string, Promise<GroupMembers>>();
  const readAhead = (): void => {
    for (const g of queue) {
      if (reading.size >= MEMBER_READS_AHEAD) break;
      if (reading.has(g.externalId) || direct.has(g.externalId)) continue;
      const read = readMembers(g);
      read.catch(() => undefined); // awaited below; a run that stops first leaves it unread
      reading.set(g.externalId, read);
    }
  };
  let done = 0;
  while (queue.length > 0) {
    readAhead();
    const g = queue.shift()!;
    if (direct.has(g.externalId)) continue;
    const members = await (reading.get(g.externalId) ?? readMembers(g));
    reading.delete(g.externalId);
    const groupId = await ensure(g);
    direct.set(g.externalId, members);
    for (const child of members.nested) if (!direct.has(child)) queue.push(listed.get(child)!);
    await ctx.step({ phase: 'groups', done: ++done });
    const nestedIds: string[] = [];
    for (const childExternalId of members.nested) nestedIds.push(await ensure(listed.get(childExternalId)!));
    await repos.groups.setNestedGroups(orgId, groupId, nestedIds);
  }

  // The flattened set of each synced group, cycle-safe. A plain group's set is its own
  // users (the same Set, not a copy: a first run holds every membership once).
  let everyone: string[] | undefined;
  const flattened = async (root: string): Promise<ReadonlySet<string>> => {
    const own = direct.get(root)!;
    if (own.nested.size === 0 && !own.everyone) return own.users;
    const users = new Set<string>();
    const visited = new Set<string>([root]);
    const stack = [root];
    while (stack.length > 0) {
      const g = direct.get(stack.pop()!)!;
      for (const u of g.users) users.add(u);
      if (g.everyone) for (const u of (everyone ??= await repos.users.activeIds(orgId, connectionId))) users.add(u);
      for (const child of g.nested) {
        if (!visited.has(child)) {
          visited.add(child);
          stack.push(child);
        }
      }
    }
    return users;
  };

  const additions = new Map<string, Iterable<string>>();
  done = 0;
  const synced = [...direct.keys()];
  let currentOf = new Map<string, string[]>();
  for (const [i, externalId] of synced.entries()) {
    const groupId = groupIdOf.get(externalId)!;
    if (i % GROUPS_PER_READ === 0) {
      const next = synced.slice(i, i + GROUPS_PER_READ).map((e) => groupIdOf.get(e)!);
      currentOf = await repos.groups.memberIdsOfGroups(orgId, next);
    }
    const wanted = await flattened(externalId);
    const current = new Set(currentOf.get(groupId) ?? []);
    currentOf.delete(groupId);
    const removed = [...current].filter((id) => !wanted.has(id));
    if (removed.length > 0) {
      const { delta } = await ctx.groups.change(
        ctx.scope,
        groupId,
        { members: [{ op: 'remove', userIds: removed }] },
        {},
        ctx.actor,
      );
      ctx.counts.membershipsRemoved += delta.removed.length;
    }
    if (current.size === 0) {
      if (wanted.size > 0) additions.set(groupId, wanted);
    } else {
      const added = [...wanted].filter((id) => !current.has(id));
      if (added.length > 0) additions.set(groupId, added);
    }
    await ctx.step({ phase: 'members', done: ++done });
  }

  // Groups the directory no longer has (or that fell out of the filter) are deleted.
  const kept = new Set(groupIdOf.values());
  for (const id of [...[...existing.values()].map((g) => g.id), ...strays.values()]) {
    if (kept.has(id)) continue;
    try {
      await ctx.groups.delete(ctx.scope, id, {}, ctx.actor);
      ctx.counts.groupsDeleted++;
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
    }
  }

  done = 0;
  for (const [groupId, userIds] of additions) {
    const { delta } = await ctx.groups.change(
      ctx.scope,
      groupId,
      { members: [{ op: 'add', userIds: [...userIds] }] },
      {},
      ctx.actor,
    );
    ctx.counts.membershipsAdded += delta.added.length;
    await ctx.step({ phase: 'memberships', done: ++done });
  }
}

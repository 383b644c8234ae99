/**
 * Directory groups and their memberships. Membership changes are row inserts and deletes
 * (never "load the member array, edit it, save it"), so their cost does not depend on the
 * group's size and concurrent changes do not overwrite each other.
 */
import type { Knex } from 'knex';
import { foldCase, type DirectoryGroup } from '../../domain/directory.js';
import { ConflictError } from '../../domain/errors/index.js';
import { dialectOf } from '../database.js';
import type { DirectorySearch, GroupFilter, GroupSortKey } from '../../domain/directory-filter.js';
import type { Scans } from '../scans.js';
import { GROUP_FILTERS, groupSortTerm } from './filter-sql.js';
import { countRows, inOrder, pageIds, type ScopedTable } from './listing.js';
import { planSearch } from './search-plan.js';
import { returnedRows, fromJson, isUniqueViolation, toIso, toJson } from '../rows.js';
import { prepared } from '../prepared-statements.js';
import type { BatchTurn } from '../batch-turn.js';
import { isTransaction } from '../direct-statement.js';
import { groupReadTurn, readGroupRow, type GroupKey } from '../group-read.js';

type Row = Record<string, unknown>;
const CHUNK = 500;
const GROUPS: ScopedTable = { table: 'directory_groups', alias: 'g' };

/** A `directory_groups` row as a group. */
export function toGroup(row: Row): DirectoryGroup {
  return {
    id: row.id as string,
    orgId: row.org_id as string,
    connectionId: (row.connection_id as string | null) ?? null,
    externalId: (row.external_id as string | null) ?? null,
    displayName: row.display_name as string,
    extensions: fromJson<Record<string, unknown>>(row.extensions),
    version: Number(row.version),
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
  };
}

function columns(g: DirectoryGroup): Row {
  return {
    connection_id: g.connectionId,
    external_id: g.externalId,
    display_name: g.displayName,
    display_name_lower: foldCase(g.displayName),
    extensions: toJson(g.extensions),
    version: g.version,
    updated_at: g.updatedAt,
  };
}

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

export type GroupSearch = DirectorySearch<GroupFilter, GroupSortKey>;

export class DirectoryGroupRepository {
  constructor(
    private readonly db: Knex,
    private readonly scans: Scans,
  ) {}

  async insert(group: DirectoryGroup): Promise<void> {
    try {
      await this.db('directory_groups').insert({
        id: group.id,
        org_id: group.orgId,
        created_at: group.createdAt,
        ...columns(group),
      });
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new ConflictError(
          'directory.external_id_taken',
          `externalId ${JSON.stringify(group.externalId)} is already in use`,
        );
      }
      throw error;
    }
  }

  async replace(group: DirectoryGroup): Promise<boolean> {
    return (
      (await prepared(
        this.db,
        this.db('directory_groups').where({ org_id: group.orgId, id: group.id }).update(columns(group)),
      )) > 0
    );
  }

  async get(orgId: string, id: string): Promise<DirectoryGroup | undefined> {
    const row = await this.readRow(false, { orgId, id });
    return row ? toGroup(row) : undefined;
  }

  /** Group reads without members, and with them, read together when they come at once (PostgreSQL). */
  private readTurn: BatchTurn<GroupKey, Row | undefined> | undefined;
  private membersReadTurn: BatchTurn<GroupKey, Row | undefined> | undefined;

  /**
   * A group's row: in a transaction or on SQLite on its own; otherwise through its turn
   * (group-read.ts). With members, each group of a batch is still its own primary-key walk:
   * the members are a subquery per group, each member by primary key behind an `OFFSET 0`
   * fence, so no plan of the batch can read the whole table whatever its estimate.
   */
  private readRow(withMembers: boolean, key: GroupKey): Promise<Row | undefined> {
    const pg = dialectOf(this.db) === 'pg';
    if (!pg || isTransaction(this.db)) return readGroupRow(this.db, pg, withMembers, key);
    if (withMembers) return (this.membersReadTurn ??= groupReadTurn(this.db, true)).run(key);
    return (this.readTurn ??= groupReadTurn(this.db, false)).run(key);
  }

  async list(orgId: string, page: { offset: number; limit: number }): Promise<DirectoryGroup[]> {
    const rows = await this.db<Row>('directory_groups')
      .where({ org_id: orgId })
      .orderBy([{ column: 'created_at' }, { column: 'id' }])
      .offset(page.offset)
      .limit(page.limit);
    return rows.map(toGroup);
  }

  async delete(orgId: string, id: string): Promise<boolean> {
    return (await this.db('directory_groups').where({ org_id: orgId, id }).delete()) > 0;
  }

  /**
   * Adds members; users already in the group are skipped. Only users of the group's own
   * connection are added (any other id inserts nothing). Returns how many rows were inserted.
   */
  async addMembers(orgId: string, groupId: string, userIds: readonly string[], at: string): Promise<number> {
    return (await this.addMembersReturning(orgId, groupId, userIds, at)).length;
  }

  /** Adds members and returns the ids actually inserted (not those already present or not users of the group's connection). */
  async addMembersReturning(orgId: string, groupId: string, userIds: readonly string[], at: string): Promise<string[]> {
    const added: string[] = [];
    // SQLite would find the users through the (org, connection) index, reading every user of
    // the connection; a unary + leaves it the primary key (PostgreSQL's planner needs no help).
    const noIndex = dialectOf(this.db) === 'pg' ? '' : '+';
    for (const part of chunks([...new Set(userIds)])) {
      // Written as SQL: knex drops ON CONFLICT and RETURNING from INSERT ... SELECT on SQLite. Both
      // dialects accept this statement (SQLite needs the WHERE before ON CONFLICT, which it has).
      const result: unknown = await prepared(
        this.db,
        this.db.raw(
          `INSERT INTO group_memberships (org_id, group_id, user_id, created_at)
         SELECT ?, ?, u.id, ? FROM directory_users u
         WHERE ${noIndex}u.org_id = ? AND u.id IN (${part.map(() => '?').join(', ')})
           AND ${noIndex}u.connection_id = (SELECT g.connection_id FROM directory_groups g WHERE g.org_id = ? AND g.id = ?)
         ON CONFLICT (group_id, user_id) DO NOTHING
         RETURNING user_id`,
          [orgId, groupId, at, orgId, ...part, orgId, groupId],
        ),
      );
      added.push(...returnedRows<{ user_id: string }>(result).map((r) => r.user_id));
    }
    return added;
  }

  async removeMembers(orgId: string, groupId: string, userIds: readonly string[]): Promise<number> {
    return (await this.removeMembersReturning(orgId, groupId, userIds)).length;
  }

  /** Removes members and returns the ids actually removed (those that were members). */
  async removeMembersReturning(orgId: string, groupId: string, userIds: readonly string[]): Promise<string[]> {
    const removed: string[] = [];
    for (const part of chunks([...new Set(userIds)])) {
      // Written as SQL: knex drops RETURNING from DELETE on SQLite.
      const result: unknown = await prepared(
        this.db,
        this.db.raw(
          `DELETE FROM group_memberships WHERE org_id = ? AND group_id = ? AND user_id IN (${part.map(() => '?').join(', ')})
           RETURNING user_id`,
          [orgId, groupId, ...part],
        ),
      );
      const rows = returnedRows<{ user_id: string }>(result);
      removed.push(...rows.map((r) => r.user_id));
    }
    return removed;
  }

  /** Makes the members exactly `userIds` (an explicit full replacement); returns what was added and removed. */
  async replaceMembers(
    orgId: string,
    groupId: string,
    userIds: readonly string[],
    at: string,
  ): Promise<{ added: string[]; removed: string[] }> {
    const wanted = new Set(userIds);
    const current = new Set(await this.memberIds(orgId, groupId));
    const removed = [...current].filter((id) => !wanted.has(id));
    const toAdd = [...wanted].filter((id) => !current.has(id));
    await this.removeMembers(orgId, groupId, removed);
    await this.addMembers(orgId, groupId, toAdd, at);
    const after = new Set(await this.memberIdsAmong(orgId, groupId, toAdd));
    return { added: toAdd.filter((id) => after.has(id)), removed };
  }

  /** Which of `userIds` are members (cost proportional to the list, not the group). */
  async memberIdsAmong(orgId: string, groupId: string, userIds: readonly string[]): Promise<string[]> {
    const found: string[] = [];
    for (const part of chunks([...new Set(userIds)])) {
      const rows: Array<{ user_id: string }> = await prepared(
        this.db,
        this.db('group_memberships')
          .where({ org_id: orgId, group_id: groupId })
          .whereIn('user_id', part)
          .select('user_id'),
      );
      found.push(...rows.map((r) => r.user_id));
    }
    return found;
  }

  /** Members with their display names (userName), in a stable order. */
  async members(
    orgId: string,
    groupId: string,
  ): Promise<Array<{ id: string; userName: string; displayName: string | null }>> {
    const rows: Array<{ id: string; user_name: string; display_name: string | null }> = await prepared(
      this.db,
      this.db('group_memberships as gm')
        .join('directory_users as u', 'u.id', 'gm.user_id')
        .where({ 'gm.org_id': orgId, 'gm.group_id': groupId })
        .orderBy('gm.user_id')
        .select('u.id', 'u.user_name', 'u.display_name'),
    );
    return rows.map((r) => ({ id: r.id, userName: r.user_name, displayName: r.display_name }));
  }

  /**
   * A group and its members (as `members` gives them) in one statement: a group read is
   * what Entra and Okta make after every change, and half its cost was the second round trip.
   */
  async getWithMembers(
    orgId: string,
    id: string,
  ): Promise<
    { group: DirectoryGroup; members: Array<{ id: string; userName: string; displayName: string | null }> } | undefined
  > {
    const row = await this.readRow(true, { orgId, id });
    if (!row) return undefined;
    return {
      group: toGroup(row),
      members: fromJson<Array<{ id: string; userName: string; displayName: string | null }>>(row.members) ?? [],
    };
  }

  /** Groups by id, in the order of `ids`. */
  async getMany(orgId: string, ids: readonly string[]): Promise<DirectoryGroup[]> {
    if (ids.length === 0) return [];
    const rows = await this.db<Row>('directory_groups').where({ org_id: orgId }).whereIn('id', ids);
    return inOrder(ids, rows.map(toGroup));
  }

  /** One page of a connection's groups matching a condition on `directory_groups as g`, with the match count when known. */
  async search(
    orgId: string,
    connectionId: string,
    q: GroupSearch,
  ): Promise<{ rows: DirectoryGroup[]; total: number | undefined }> {
    const plan = planSearch(this.db, this.scans, orgId, q.filter, GROUP_FILTERS);
    const page = await pageIds(
      this.db,
      GROUPS,
      orgId,
      connectionId,
      {
        ...(plan.where ? { where: plan.where } : {}),
        order: q.sort ? [groupSortTerm(q.sort)] : [],
        ...(q.offset !== undefined ? { offset: q.offset } : {}),
        ...(q.after ? { after: q.after } : {}),
        limit: q.limit,
      },
      plan.run,
    );
    return { rows: await this.getMany(orgId, page.ids), total: page.total };
  }

  async countMatching(orgId: string, connectionId: string, filter?: GroupFilter): Promise<number> {
    const plan = planSearch(this.db, this.scans, orgId, filter, GROUP_FILTERS);
    return countRows(this.db, GROUPS, orgId, connectionId, plan.where, plan.run);
  }

  /** The group, its row locked for the rest of the transaction (PostgreSQL; SQLite has a single writer). */
  async getLocked(orgId: string, id: string): Promise<DirectoryGroup | undefined> {
    const q = this.db('directory_groups').where({ org_id: orgId, id }).first();
    if (dialectOf(this.db) === 'pg') q.forUpdate();
    const row: Row | undefined = await prepared(this.db, q);
    return row ? toGroup(row) : undefined;
  }

  /** Marks a group changed (its members): a new version and modification time. */
  async touch(orgId: string, id: string, at: string): Promise<void> {
    await this.db('directory_groups')
      .where({ org_id: orgId, id })
      .update({ version: this.db.raw('version + 1'), updated_at: at });
  }

  /** The connection's groups: id, externalId and display name (a directory sync compares them). */
  async connectionGroups(
    orgId: string,
    connectionId: string,
  ): Promise<Array<{ id: string; externalId: string | null; displayName: string }>> {
    const rows: Row[] = await this.db('directory_groups')
      .where({ org_id: orgId, connection_id: connectionId })
      .orderBy('id')
      .select('id', 'external_id', 'display_name');
    return rows.map((r) => ({
      id: r.id as string,
      externalId: (r.external_id as string | null) ?? null,
      displayName: r.display_name as string,
    }));
  }

  /** The groups a group contains (a directory that nests groups; its memberships hold the flattened set). */
  async nestedGroupIds(orgId: string, parentId: string): Promise<string[]> {
    const rows: Row[] = await this.db('group_nestings')
      .where({ org_id: orgId, parent_group_id: parentId })
      .orderBy('child_group_id')
      .select('child_group_id');
    return rows.map((r) => r.child_group_id as string);
  }

  /** Sets the groups a group contains. */
  async setNestedGroups(orgId: string, parentId: string, childIds: readonly string[]): Promise<void> {
    const current = new Set(await this.nestedGroupIds(orgId, parentId));
    const wanted = new Set(childIds);
    const gone = [...current].filter((id) => !wanted.has(id));
    const fresh = [...wanted].filter((id) => !current.has(id));
    for (const part of chunks(gone)) {
      await this.db('group_nestings')
        .where({ org_id: orgId, parent_group_id: parentId })
        .whereIn('child_group_id', part)
        .delete();
    }
    for (const part of chunks(fresh)) {
      await this.db('group_nestings').insert(
        part.map((child) => ({ org_id: orgId, parent_group_id: parentId, child_group_id: child })),
      );
    }
  }

  /** The member ids of each of these groups (one query): group id → user ids. */
  async memberIdsOfGroups(orgId: string, groupIds: readonly string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>(groupIds.map((id) => [id, []]));
    if (groupIds.length === 0) return out;
    const rows = await this.db<Row>('group_memberships')
      .where({ org_id: orgId })
      .whereIn('group_id', groupIds)
      .select('group_id', 'user_id');
    for (const r of rows) out.get(r.group_id as string)!.push(r.user_id as string);
    return out;
  }

  async memberIds(orgId: string, groupId: string): Promise<string[]> {
    const rows = await this.db<Row>('group_memberships')
      .where({ org_id: orgId, group_id: groupId })
      .orderBy('user_id')
      .select('user_id');
    return rows.map((r) => r.user_id as string);
  }

  /** The connection's group with exactly this display name, if one. */
  async findByDisplayName(
    orgId: string,
    connectionId: string,
    displayName: string,
  ): Promise<DirectoryGroup | undefined> {
    const row = await this.db<Row>('directory_groups')
      .where({ org_id: orgId, connection_id: connectionId, display_name_lower: foldCase(displayName) })
      .andWhere('display_name', displayName)
      .first('id');
    return row ? this.get(orgId, row.id as string) : undefined;
  }

  async groupIdsOf(orgId: string, userId: string): Promise<string[]> {
    const rows = await this.db<Row>('group_memberships')
      .where({ org_id: orgId, user_id: userId })
      .orderBy('group_id')
      .select('group_id');
    return rows.map((r) => r.group_id as string);
  }

  async memberCount(orgId: string, groupId: string): Promise<number> {
    const [row] = await this.db('group_memberships')
      .where({ org_id: orgId, group_id: groupId })
      .count<{ n: number | string }[]>({ n: '*' });
    return Number(row?.n ?? 0);
  }
}

/**
 * Reading directory users: by id, userName, email or externalId, by page, and a
 * connection's users by a compiled directory filter. Every read selects a user with its
 * multi-valued attributes aggregated in the same row and decodes it one way
 * (directory-user-rows.ts). Every method is scoped to one org.
 */
import type { Knex } from 'knex';
import { foldCase, type DirectoryUser } from '../../domain/directory.js';
import type { DirectorySearch, UserFilter, UserSortKey } from '../../domain/directory-filter.js';
import { dialectOf } from '../database.js';
import { prepared } from '../prepared-statements.js';
import { hotRows, isTransaction } from '../direct-statement.js';
import type { BatchTurn } from '../batch-turn.js';
import {
  lookUpUserId,
  lookUpUserName,
  userNameLookupTurn,
  type FoundUser,
  type UserNameLookup,
} from '../user-name-lookup.js';
import { toBool, toIsoOrNull } from '../rows.js';
import type { Scans } from '../scans.js';
import {
  decodeGroups,
  decodeUser,
  groupsJsonSql,
  valuesJsonSql,
  type Row,
  type UserGroups,
} from './directory-user-rows.js';
import { USER_FILTERS, userSortTerm } from './filter-sql.js';
import { countRows, inOrder, orderSql, pageSubquery, type ScopedTable } from './listing.js';
import { planSearch } from './search-plan.js';

const USERS: ScopedTable = { table: 'directory_users', alias: 'u' };

export interface UserPageResult {
  readonly rows: DirectoryUser[];
  /** Users matching the condition, when the query counted them (offset paging with a non-empty page). */
  readonly total: number | undefined;
  /** Direct group memberships of the page's users, when asked for (`withGroups`). */
  readonly groups: Map<string, UserGroups> | undefined;
}

export interface UserPage {
  readonly offset: number;
  readonly limit: number;
}

export type UserSearch = DirectorySearch<UserFilter, UserSortKey>;

/** What a directory sync needs of each of the connection's users to find those gone from the directory. */
export interface ConnectionUserRow {
  readonly id: string;
  readonly externalId: string | null;
  readonly userName: string;
  readonly active: boolean;
  readonly syncMissingSince: string | null;
}

function connectionUserRow(r: Row): ConnectionUserRow {
  return {
    id: r.id as string,
    externalId: (r.external_id as string | null) ?? null,
    userName: r.user_name as string,
    active: toBool(r.active),
    syncMissingSince: toIsoOrNull(r.sync_missing_since),
  };
}

export class DirectoryUserReads {
  constructor(
    protected readonly db: Knex,
    protected readonly scans: Scans,
  ) {}

  private get pg(): boolean {
    return dialectOf(this.db) === 'pg';
  }

  /** Users (with their values) matching `where` over `directory_users u`, in one statement. */
  private async select(where: string, bindings: readonly string[]): Promise<DirectoryUser[]> {
    const sql = `SELECT u.*, ${valuesJsonSql(this.pg)} AS mv FROM directory_users u WHERE ${where}`;
    return (await hotRows(this.db, sql, bindings)).map(decodeUser);
  }

  async get(orgId: string, id: string): Promise<DirectoryUser | undefined> {
    return (await this.select('u.org_id = ? AND u.id = ?', [orgId, id]))[0];
  }

  async findByUserName(orgId: string, userName: string): Promise<DirectoryUser | undefined> {
    return (await this.select('u.org_id = ? AND u.user_name_lower = ?', [orgId, foldCase(userName)]))[0];
  }

  /** The one user of the org with this email (case-insensitive); undefined when none or several have it. */
  async findByEmail(orgId: string, email: string): Promise<DirectoryUser | undefined> {
    const rows = await this.db<Row>('directory_user_values')
      .where({ org_id: orgId, attribute: 'emails', value_lower: foldCase(email) })
      .distinct('user_id')
      .limit(2);
    return rows.length === 1 ? this.get(orgId, rows[0]!.user_id as string) : undefined;
  }

  async findByExternalId(orgId: string, connectionId: string, externalId: string): Promise<DirectoryUser | undefined> {
    return (
      await this.select('u.org_id = ? AND u.connection_id = ? AND u.external_id = ?', [orgId, connectionId, externalId])
    )[0];
  }

  /** The connection's users among these externalIds: externalId → user (a directory sync's page). */
  async findManyByExternalId(
    orgId: string,
    connectionId: string,
    externalIds: readonly string[],
  ): Promise<Map<string, DirectoryUser>> {
    const found = new Map<string, DirectoryUser>();
    for (let i = 0; i < externalIds.length; i += 500) {
      const part = externalIds.slice(i, i + 500);
      const users = await this.select(
        `u.org_id = ? AND u.connection_id = ? AND u.external_id IN (${part.map(() => '?').join(', ')})`,
        [orgId, connectionId, ...part],
      );
      for (const u of users) found.set(u.externalId!, u);
    }
    return found;
  }

  /** The same, with only what a sync's plan needs of each (id, userName, active, when found gone). */
  async rowsByExternalId(
    orgId: string,
    connectionId: string,
    externalIds: readonly string[],
  ): Promise<Map<string, ConnectionUserRow>> {
    const found = new Map<string, ConnectionUserRow>();
    for (let i = 0; i < externalIds.length; i += 500) {
      const rows: Row[] = await this.db('directory_users')
        .where({ org_id: orgId, connection_id: connectionId })
        .whereIn('external_id', externalIds.slice(i, i + 500))
        .select('id', 'external_id', 'user_name', 'active', 'sync_missing_since');
      for (const r of rows) found.set(r.external_id as string, connectionUserRow(r));
    }
    return found;
  }

  /** The org's users among these userNames (case-insensitive): folded userName → user. */
  async findManyByUserName(orgId: string, userNames: readonly string[]): Promise<Map<string, DirectoryUser>> {
    const found = new Map<string, DirectoryUser>();
    const folded = [...new Set(userNames.map(foldCase))];
    for (let i = 0; i < folded.length; i += 500) {
      const part = folded.slice(i, i + 500);
      const users = await this.select(`u.org_id = ? AND u.user_name_lower IN (${part.map(() => '?').join(', ')})`, [
        orgId,
        ...part,
      ]);
      for (const u of users) found.set(foldCase(u.userName), u);
    }
    return found;
  }

  /** A page of the connection's users (the columns a sync compares), in id order after `afterId`. */
  async connectionUserPage(
    orgId: string,
    connectionId: string,
    afterId: string,
    limit: number,
  ): Promise<ConnectionUserRow[]> {
    const rows: Row[] = await this.db('directory_users')
      .where({ org_id: orgId, connection_id: connectionId })
      .andWhere('id', '>', afterId)
      .orderBy('id')
      .limit(limit)
      .select('id', 'external_id', 'user_name', 'active', 'sync_missing_since');
    return rows.map(connectionUserRow);
  }

  /** The ids of the connection's active users (everyone in the domain, for a group that says so). */
  async activeIds(orgId: string, connectionId: string): Promise<string[]> {
    const rows: Row[] = await this.db('directory_users')
      .where({ org_id: orgId, connection_id: connectionId, active: true })
      .select('id');
    return rows.map((r) => r.id as string);
  }

  /** A page of the org's users in creation order (all connections). */
  async list(orgId: string, page: UserPage): Promise<DirectoryUser[]> {
    const rows: Array<{ id: string }> = await this.db('directory_users')
      .where({ org_id: orgId })
      .orderBy([{ column: 'created_at' }, { column: 'id' }])
      .offset(page.offset)
      .limit(page.limit)
      .select('id');
    return this.getMany(
      orgId,
      rows.map((r) => r.id),
    );
  }

  /** Users by id, in the order of `ids` (unknown ids skipped). */
  async getMany(orgId: string, ids: readonly string[]): Promise<DirectoryUser[]> {
    if (ids.length === 0) return [];
    const users = await this.select(`u.org_id = ? AND u.id IN (${ids.map(() => '?').join(', ')})`, [orgId, ...ids]);
    return inOrder(ids, users);
  }

  /**
   * One page of a connection's users matching a directory filter, in one query: the page
   * (ids, positions, match count) joined to the users, with multi-valued attributes and
   * group memberships aggregated as JSON (per dialect).
   */
  async search(orgId: string, connectionId: string, q: UserSearch): Promise<UserPageResult> {
    const plan = planSearch(this.db, this.scans, orgId, q.filter, USER_FILTERS);
    const order = q.sort ? [userSortTerm(this.db, q.sort)] : [];
    const page = pageSubquery(this.db, USERS, orgId, connectionId, {
      ...(plan.where ? { where: plan.where } : {}),
      order,
      ...(q.offset !== undefined ? { offset: q.offset } : {}),
      ...(q.after ? { after: q.after } : {}),
      limit: q.limit,
    });
    const query = this.db
      .with('page', page)
      .from('page')
      .join('directory_users as u', 'u.id', 'page.id')
      .select(
        'u.*',
        q.after ? this.db.raw('NULL as total') : 'page.total',
        this.db.raw(`${valuesJsonSql(this.pg)} as mv`),
      )
      .modify((qb) => {
        if (q.withGroups) qb.select(this.db.raw(`${groupsJsonSql(this.pg)} as grp`));
      })
      .orderByRaw(orderSql(this.db, USERS, order));
    const rows = await plan.run<Row>(query);
    return {
      rows: rows.map(decodeUser),
      total: rows[0]?.total === undefined || rows[0].total === null ? undefined : Number(rows[0].total),
      groups: q.withGroups ? new Map(rows.map((r) => [r.id as string, decodeGroups(r)])) : undefined,
    };
  }

  /**
   * The connection's user with this userName (case-insensitive), in one fixed, prepared
   * statement: the lookup every IdP makes before creating a user. The general search
   * builds and compiles its query per request, which costs more than running it. On
   * PostgreSQL, lookups that arrive while one is being read are read together
   * (user-name-lookup.ts).
   */
  async findInConnectionByUserName(
    orgId: string,
    connectionId: string,
    userName: string,
    withGroups: boolean,
  ): Promise<{ user: DirectoryUser; groups: UserGroups } | undefined> {
    const lookup = { orgId, connectionId, userNameLower: foldCase(userName) };
    if (!this.pg || isTransaction(this.db)) return lookUpUserName(this.db, this.pg, withGroups, lookup);
    const turns = (this.lookupTurns ??= [userNameLookupTurn(this.db, false), userNameLookupTurn(this.db, true)]);
    return turns[withGroups ? 1 : 0].run(lookup);
  }

  /** The connection's user by id with its values and direct groups, in one statement. */
  findInConnectionWithGroups(orgId: string, connectionId: string, id: string): Promise<FoundUser> {
    return lookUpUserId(this.db, this.pg, { orgId, connectionId, id });
  }

  /** Lookups by userName without and with groups, each read together when they come at once (PostgreSQL). */
  private lookupTurns: [BatchTurn<UserNameLookup, FoundUser>, BatchTurn<UserNameLookup, FoundUser>] | undefined;

  async countMatching(orgId: string, connectionId: string, filter?: UserFilter): Promise<number> {
    const plan = planSearch(this.db, this.scans, orgId, filter, USER_FILTERS);
    return countRows(this.db, USERS, orgId, connectionId, plan.where, plan.run);
  }

  /** The ids among `ids` that are users of the connection (for group members). */
  /** Which of these ids are the connection's users: id → userName. */
  async existingUserNames(orgId: string, connectionId: string, ids: readonly string[]): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    const unique = [...new Set(ids)];
    // SQLite would take the (org, connection) index for a list of ids, reading every user of
    // the connection; a unary + leaves it the primary key (PostgreSQL's planner needs no help).
    const noIndex = this.pg ? '' : '+';
    for (let i = 0; i < unique.length; i += 500) {
      const rows: Array<{ id: string; user_name: string }> = await prepared(
        this.db,
        this.db('directory_users')
          .whereRaw(`${noIndex}org_id = ? AND ${noIndex}connection_id = ?`, [orgId, connectionId])
          .whereIn('id', unique.slice(i, i + 500))
          .select('id', 'user_name'),
      );
      for (const r of rows) found.set(r.id, r.user_name);
    }
    return found;
  }

  /** The userNames of these users of the org: id → userName. */
  async userNamesOf(orgId: string, ids: readonly string[]): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    if (ids.length === 0) return found;
    const rows: Array<{ id: string; user_name: string }> = await this.db('directory_users')
      .where({ org_id: orgId })
      .whereIn('id', [...new Set(ids)])
      .select('id', 'user_name');
    for (const r of rows) found.set(r.id, r.user_name);
    return found;
  }

  /** Direct group memberships of the given users: user id → groups. */
  async groupsOf(orgId: string, userIds: readonly string[]): Promise<Map<string, UserGroups>> {
    const result = new Map<string, UserGroups>();
    if (userIds.length === 0) return result;
    const rows: Array<{ user_id: string; id: string; display_name: string }> = await prepared(
      this.db,
      this.db('group_memberships as gm')
        .join('directory_groups as g', 'g.id', 'gm.group_id')
        .where('gm.org_id', orgId)
        .whereIn('gm.user_id', userIds)
        .orderBy(['gm.user_id', 'g.display_name_lower', 'g.id'])
        .select('gm.user_id', 'g.id', 'g.display_name'),
    );
    for (const r of rows) {
      const list = result.get(r.user_id) ?? [];
      list.push({ id: r.id, displayName: r.display_name });
      result.set(r.user_id, list);
    }
    return result;
  }

  async count(orgId: string): Promise<number> {
    const [row] = await this.db('directory_users').where({ org_id: orgId }).count<{ n: number | string }[]>({ n: '*' });
    return Number(row?.n ?? 0);
  }
}

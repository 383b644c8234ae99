/**
 * Directory users with their multi-valued attributes (rows in directory_user_values).
 * Every method is scoped to one org. A taken userName (case-insensitive, per org) or
 * externalId (per connection) becomes a ConflictError on both dialects.
 */
import type { Knex } from 'knex';
import {
  MULTI_VALUED_ATTRIBUTES,
  foldCase,
  type DirectoryUser,
  type MultiValue,
  type MultiValuedAttribute,
} from '../../domain/directory.js';
import { ConflictError } from '../../domain/errors/index.js';
import { dialectOf } from '../database.js';
import type { UserFilter, UserSortKey } from '../../domain/directory-filter.js';
import type { Scans } from '../scans.js';
import { USER_FILTERS, userSortTerm } from './filter-sql.js';
import { countRows, inOrder, pageSubquery, type DirectorySearch, type ScopedTable } from './listing.js';
import { planSearch } from './search-plan.js';
import { returnedRows, fromJson, isUniqueViolation, toBool, toIso, toJson, violatedConstraint } from '../rows.js';
import { prepared } from '../prepared-statements.js';
import { AuditEventRepository, type AuditEvent } from './audit-events.js';

type Row = Record<string, unknown>;
const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

function userColumns(u: DirectoryUser): Row {
  return {
    connection_id: u.connectionId,
    external_id: u.externalId,
    user_name: u.userName,
    user_name_lower: foldCase(u.userName),
    active: u.active,
    display_name: u.displayName,
    nick_name: u.nickName,
    profile_url: u.profileUrl,
    title: u.title,
    user_type: u.userType,
    preferred_language: u.preferredLanguage,
    locale: u.locale,
    timezone: u.timezone,
    name_formatted: u.name.formatted,
    name_family_name: u.name.familyName,
    name_given_name: u.name.givenName,
    name_middle_name: u.name.middleName,
    name_honorific_prefix: u.name.honorificPrefix,
    name_honorific_suffix: u.name.honorificSuffix,
    employee_number: u.enterprise.employeeNumber,
    cost_center: u.enterprise.costCenter,
    organization: u.enterprise.organization,
    division: u.enterprise.division,
    department: u.enterprise.department,
    manager_value: u.enterprise.managerValue,
    manager_display_name: u.enterprise.managerDisplayName,
    extensions: toJson(u.extensions),
    version: u.version,
    updated_at: u.updatedAt,
  };
}

function toUser(row: Row, values: Row[]): DirectoryUser {
  const multiValued: Partial<Record<MultiValuedAttribute, MultiValue[]>> = {};
  for (const v of values) {
    const attribute = v.attribute as MultiValuedAttribute;
    (multiValued[attribute] ??= []).push({
      type: str(v.type),
      value: str(v.value),
      display: str(v.display),
      primary: toBool(v.primary),
      subAttributes: fromJson<Record<string, unknown>>(v.sub_attributes),
    });
  }
  return {
    id: row.id as string,
    orgId: row.org_id as string,
    connectionId: str(row.connection_id),
    externalId: str(row.external_id),
    userName: row.user_name as string,
    active: toBool(row.active),
    displayName: str(row.display_name),
    nickName: str(row.nick_name),
    profileUrl: str(row.profile_url),
    title: str(row.title),
    userType: str(row.user_type),
    preferredLanguage: str(row.preferred_language),
    locale: str(row.locale),
    timezone: str(row.timezone),
    name: {
      formatted: str(row.name_formatted),
      familyName: str(row.name_family_name),
      givenName: str(row.name_given_name),
      middleName: str(row.name_middle_name),
      honorificPrefix: str(row.name_honorific_prefix),
      honorificSuffix: str(row.name_honorific_suffix),
    },
    enterprise: {
      employeeNumber: str(row.employee_number),
      costCenter: str(row.cost_center),
      organization: str(row.organization),
      division: str(row.division),
      department: str(row.department),
      managerValue: str(row.manager_value),
      managerDisplayName: str(row.manager_display_name),
    },
    multiValued,
    extensions: fromJson<Record<string, unknown>>(row.extensions),
    version: Number(row.version),
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
  };
}

function uniquenessConflict(error: unknown, user: DirectoryUser): never {
  if (violatedConstraint(error).includes('external_id')) {
    throw new ConflictError(
      'directory.external_id_taken',
      `externalId ${JSON.stringify(user.externalId)} is already in use`,
    );
  }
  throw new ConflictError('directory.user_name_taken', `userName ${JSON.stringify(user.userName)} is already in use`);
}

const USERS: ScopedTable = { table: 'directory_users', alias: 'u' };

export interface UserPageResult {
  readonly rows: DirectoryUser[];
  /** Users matching the condition, when the query counted them (offset paging with a non-empty page). */
  readonly total: number | undefined;
  /** Direct group memberships of the page's users, when asked for (`withGroups`). */
  readonly groups: Map<string, Array<{ id: string; displayName: string }>> | undefined;
}

export interface UserPage {
  readonly offset: number;
  readonly limit: number;
}

/** A user's multi-valued attributes as one JSON array (per dialect), for `directory_users as u`. */
function valuesJsonSql(pg: boolean): string {
  return pg
    ? `(SELECT json_agg(json_build_object('attribute', v.attribute, 'type', v.type, 'value', v.value, 'display', v.display,
            'primary', v."primary", 'sub_attributes', v.sub_attributes) ORDER BY v.attribute, v.position)
          FROM directory_user_values v WHERE v.user_id = u.id)`
    : `(SELECT json_group_array(json_object('attribute', v.attribute, 'type', v.type, 'value', v.value, 'display', v.display,
            'primary', v."primary", 'sub_attributes', json(v.sub_attributes)))
          FROM (SELECT * FROM directory_user_values WHERE user_id = u.id ORDER BY attribute, position) v)`;
}

/** A user's direct groups as one JSON array (per dialect), for `directory_users as u`. */
function groupsJsonSql(pg: boolean): string {
  return pg
    ? // The OFFSET 0 fence keeps PostgreSQL on primary-key lookups of the user's few groups
      // (its default costs would hash the whole groups table for every user on the page).
      `(SELECT json_agg(json_build_object('id', g.id, 'displayName', g.display_name) ORDER BY g.display_name_lower, g.id)
          FROM group_memberships gm
          CROSS JOIN LATERAL (SELECT g.id, g.display_name, g.display_name_lower FROM directory_groups g
                               WHERE g.id = gm.group_id OFFSET 0) g
         WHERE gm.user_id = u.id)`
    : `(SELECT json_group_array(json_object('id', x.id, 'displayName', x.display_name))
          FROM (SELECT g.id, g.display_name FROM group_memberships gm JOIN directory_groups g ON g.id = gm.group_id
                WHERE gm.user_id = u.id ORDER BY g.display_name_lower, g.id) x)`;
}

/** The rows of a user's multi-valued attributes (emails, phone numbers, ...). */
function valueRows(user: DirectoryUser): Row[] {
  const rows: Row[] = [];
  for (const attribute of MULTI_VALUED_ATTRIBUTES) {
    (user.multiValued[attribute] ?? []).forEach((v, position) => {
      rows.push({
        org_id: user.orgId,
        user_id: user.id,
        attribute,
        position,
        type: v.type,
        value: v.value,
        value_lower: v.value === null ? null : foldCase(v.value),
        display: v.display,
        primary: v.primary,
        sub_attributes: toJson(v.subAttributes),
      });
    });
  }
  return rows;
}

export type UserSearch = DirectorySearch<UserFilter, UserSortKey>;

export class DirectoryUserRepository {
  constructor(
    private readonly db: Knex,
    private readonly scans: Scans,
  ) {}

  /**
   * A new user, its multi-valued attributes and its audit event. On PostgreSQL this is one
   * statement (data-modifying CTEs; the foreign keys are checked at its end): atomic without
   * BEGIN/COMMIT, so a SCIM create costs one round trip instead of five, which is most of
   * its cost. SQLite has no INSERT in a CTE: there it is a transaction.
   */
  async insertWithAudit(user: DirectoryUser, event: AuditEvent): Promise<void> {
    if (dialectOf(this.db) !== 'pg') {
      await this.db.transaction(async (trx) => {
        await new DirectoryUserRepository(trx, this.scans).insert(user);
        await new AuditEventRepository(trx).append(event);
      });
      return;
    }
    const parts = [
      this.db('directory_users').insert({
        id: user.id,
        org_id: user.orgId,
        created_at: user.createdAt,
        ...userColumns(user),
      }),
      ...(valueRows(user).length ? [this.db('directory_user_values').insert(valueRows(user))] : []),
      new AuditEventRepository(this.db).insertQuery(event),
    ].map((q) => q.toSQL());
    // Generated INSERTs hold no literal `?`: every value is a binding, so joining them is exact.
    const last = parts.pop()!;
    const sql = `WITH ${parts.map((p, i) => `w${i} AS (${p.sql})`).join(', ')} ${last.sql}`;
    const bindings = [...parts.flatMap((p) => p.bindings), ...last.bindings];
    try {
      await prepared(this.db, this.db.raw(sql, bindings));
    } catch (error) {
      if (isUniqueViolation(error)) uniquenessConflict(error, user);
      throw error;
    }
  }

  async insert(user: DirectoryUser): Promise<void> {
    try {
      await prepared(
        this.db,
        this.db('directory_users').insert({
          id: user.id,
          org_id: user.orgId,
          created_at: user.createdAt,
          ...userColumns(user),
        }),
      );
    } catch (error) {
      if (isUniqueViolation(error)) uniquenessConflict(error, user);
      throw error;
    }
    await this.insertValues(user);
  }

  /** Replaces every attribute of an existing user; returns false when it does not exist in the org. */
  async replace(user: DirectoryUser): Promise<boolean> {
    let n: number;
    try {
      n = await prepared(
        this.db,
        this.db('directory_users').where({ org_id: user.orgId, id: user.id }).update(userColumns(user)),
      );
    } catch (error) {
      if (isUniqueViolation(error)) uniquenessConflict(error, user);
      throw error;
    }
    if (n === 0) return false;
    await this.db('directory_user_values').where({ org_id: user.orgId, user_id: user.id }).delete();
    await this.insertValues(user);
    return true;
  }

  private async insertValues(user: DirectoryUser): Promise<void> {
    const rows = valueRows(user);
    // Plain inserts: knex's batchInsert opens a nested transaction (two more round trips per user).
    for (let i = 0; i < rows.length; i += 200) {
      await prepared(this.db, this.db('directory_user_values').insert(rows.slice(i, i + 200)));
    }
  }

  async get(orgId: string, id: string): Promise<DirectoryUser | undefined> {
    const row = await this.db<Row>('directory_users').where({ org_id: orgId, id }).first();
    if (!row) return undefined;
    const values = await this.db<Row>('directory_user_values')
      .where({ org_id: orgId, user_id: id })
      .orderBy(['attribute', 'position']);
    return toUser(row, values);
  }

  async findByUserName(orgId: string, userName: string): Promise<DirectoryUser | undefined> {
    const row = await this.db<Row>('directory_users')
      .where({ org_id: orgId, user_name_lower: foldCase(userName) })
      .first('id');
    return row ? this.get(orgId, row.id as string) : undefined;
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
    const row = await this.db<Row>('directory_users')
      .where({ org_id: orgId, connection_id: connectionId, external_id: externalId })
      .first('id');
    return row ? this.get(orgId, row.id as string) : undefined;
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

  /** Users by id with their multi-valued attributes (one joined query), in the order of `ids` (unknown ids skipped). */
  async getMany(orgId: string, ids: readonly string[]): Promise<DirectoryUser[]> {
    if (ids.length === 0) return [];
    const rows: Row[] = await this.db('directory_users as u')
      .leftJoin('directory_user_values as v', 'v.user_id', 'u.id')
      .where('u.org_id', orgId)
      .whereIn('u.id', ids)
      .orderBy(['u.id', 'v.attribute', 'v.position'])
      .select(
        'u.*',
        'v.attribute as v_attribute',
        'v.type as v_type',
        'v.value as v_value',
        'v.display as v_display',
        'v.primary as v_primary',
        'v.sub_attributes as v_sub_attributes',
      );
    const users = new Map<string, { row: Row; values: Row[] }>();
    for (const r of rows) {
      const entry = users.get(r.id as string) ?? { row: r, values: [] };
      if (r.v_attribute !== null && r.v_attribute !== undefined) {
        entry.values.push({
          attribute: r.v_attribute,
          type: r.v_type,
          value: r.v_value,
          display: r.v_display,
          primary: r.v_primary,
          sub_attributes: r.v_sub_attributes,
        });
      }
      users.set(r.id as string, entry);
    }
    return inOrder(
      ids,
      [...users.values()].map((e) => toUser(e.row, e.values)),
    );
  }

  /**
   * One page of a connection's users matching a condition on `directory_users as u`, in one
   * query: the page (ids, positions, match count) joined to the users, with multi-valued
   * attributes and group memberships aggregated as JSON (per dialect). A lookup by userName
   * is one round trip.
   */
  async search(orgId: string, connectionId: string, q: UserSearch): Promise<UserPageResult> {
    const pg = dialectOf(this.db) === 'pg';
    const values = valuesJsonSql(pg);
    const groups = groupsJsonSql(pg);
    const plan = planSearch(this.db, this.scans, orgId, q.filter, USER_FILTERS);
    const page = pageSubquery(this.db, USERS, orgId, connectionId, {
      ...(plan.where ? { where: plan.where } : {}),
      order: q.sort ? [userSortTerm(this.db, q.sort)] : [],
      ...(q.offset !== undefined ? { offset: q.offset } : {}),
      ...(q.after ? { after: q.after } : {}),
      limit: q.limit,
    });
    const query = this.db
      .with('page', page)
      .from('page')
      .join('directory_users as u', 'u.id', 'page.id')
      .select('u.*', 'page.rn', q.after ? this.db.raw('NULL as total') : 'page.total', this.db.raw(`${values} as mv`))
      .modify((qb) => {
        if (q.withGroups) qb.select(this.db.raw(`${groups} as grp`));
      })
      .orderBy('page.rn');
    const rows = await plan.run<Row>(query);
    const groupsByUser = new Map<string, Array<{ id: string; displayName: string }>>();
    const users = rows.map((r) => {
      if (q.withGroups)
        groupsByUser.set(r.id as string, fromJson<Array<{ id: string; displayName: string }>>(r.grp) ?? []);
      return toUser(
        r,
        (fromJson<Row[]>(r.mv) ?? []).filter((v) => v.attribute !== null),
      );
    });
    return {
      rows: users,
      total: rows[0]?.total === undefined || rows[0].total === null ? undefined : Number(rows[0].total),
      groups: q.withGroups ? groupsByUser : undefined,
    };
  }

  /**
   * The connection's user with this userName (case-insensitive), in one fixed, prepared
   * statement: the lookup every IdP makes before creating a user. The general search
   * builds and compiles its query per request, which costs more than running it.
   */
  async findInConnectionByUserName(
    orgId: string,
    connectionId: string,
    userName: string,
    withGroups: boolean,
  ): Promise<{ user: DirectoryUser; groups: Array<{ id: string; displayName: string }> } | undefined> {
    const pg = dialectOf(this.db) === 'pg';
    const sql = `SELECT u.*, ${valuesJsonSql(pg)} AS mv${withGroups ? `, ${groupsJsonSql(pg)} AS grp` : ''}
      FROM directory_users u WHERE u.org_id = ? AND u.connection_id = ? AND u.user_name_lower = ?`;
    const result: unknown = await prepared(this.db, this.db.raw(sql, [orgId, connectionId, foldCase(userName)]));
    const row = returnedRows<Row>(result)[0];
    if (!row) return undefined;
    return {
      user: toUser(
        row,
        (fromJson<Row[]>(row.mv) ?? []).filter((v) => v.attribute !== null),
      ),
      groups: withGroups ? (fromJson<Array<{ id: string; displayName: string }>>(row.grp) ?? []) : [],
    };
  }

  async countMatching(orgId: string, connectionId: string, filter?: UserFilter): Promise<number> {
    const plan = planSearch(this.db, this.scans, orgId, filter, USER_FILTERS);
    return countRows(this.db, USERS, orgId, connectionId, plan.where, plan.run);
  }

  /** Locks a user row for the rest of the transaction (PostgreSQL; SQLite has a single writer). */
  async lock(orgId: string, id: string): Promise<boolean> {
    const q = this.db('directory_users').where({ org_id: orgId, id }).first('id');
    if (dialectOf(this.db) === 'pg') q.forUpdate();
    return (await prepared(this.db, q)) !== undefined;
  }

  /** The ids among `ids` that are users of the connection (for group members). */
  async existingIds(orgId: string, connectionId: string, ids: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    const unique = [...new Set(ids)];
    for (let i = 0; i < unique.length; i += 500) {
      const rows: Array<{ id: string }> = await prepared(
        this.db,
        this.db('directory_users')
          .where({ org_id: orgId, connection_id: connectionId })
          .whereIn('id', unique.slice(i, i + 500))
          .select('id'),
      );
      for (const r of rows) found.add(r.id);
    }
    return found;
  }

  /** Direct group memberships of the given users: user id → groups. */
  async groupsOf(
    orgId: string,
    userIds: readonly string[],
  ): Promise<Map<string, Array<{ id: string; displayName: string }>>> {
    const result = new Map<string, Array<{ id: string; displayName: string }>>();
    if (userIds.length === 0) return result;
    const rows: Array<{ user_id: string; id: string; display_name: string }> = await this.db('group_memberships as gm')
      .join('directory_groups as g', 'g.id', 'gm.group_id')
      .where('gm.org_id', orgId)
      .whereIn('gm.user_id', userIds)
      .orderBy(['gm.user_id', 'g.display_name_lower', 'g.id'])
      .select('gm.user_id', 'g.id', 'g.display_name');
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

  async delete(orgId: string, id: string): Promise<boolean> {
    return (await this.db('directory_users').where({ org_id: orgId, id }).delete()) > 0;
  }
}

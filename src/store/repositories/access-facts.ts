/**
 * What a decision reads: one user's facts in one round trip (active flag, the groups of
 * theirs that a mapping names, manual team memberships, and the org's access-config
 * version), and, when that version moved, the org's teams, mappings and policy.
 */
import type { Knex } from 'knex';
import type { Role } from '../../domain/role.js';
import { MAPPING_MATCHES, type MappingMatch } from '../../domain/team.js';
import { announceAccessChange } from '../access-change-feed.js';
import type { TransactionChanges } from '../transaction-changes.js';
import { allOf, dialectOf } from '../database.js';
import { prepared } from '../prepared-statements.js';
import { fromJson, toBool } from '../rows.js';
import { GroupMappingRepository } from './group-mappings.js';

type Row = Record<string, unknown>;

/**
 * `body` once per kind of match, joined by UNION ALL, with MATCH standing for "mapping m
 * names group g". Each branch is an equality on an indexed column (the group's id, its
 * (connection, externalId), or the mapping's (connection, kind, value)), so finding the
 * mappings of a user's groups, or the groups of a mapping, never scans every mapping.
 * A branch repeats its placeholders: bind their values once per kind (`perMatchKindBindings`).
 */
export function perMatchKind(body: string): string {
  return MAPPING_MATCHES.map((kind) =>
    body.replaceAll(
      'MATCH',
      `m.match_by = '${kind}' AND m.connection_id = g.connection_id AND m.match_value = g.${kind}`,
    ),
  ).join('\nUNION ALL\n');
}

export function perMatchKindBindings<T>(bindings: readonly T[]): T[] {
  return MAPPING_MATCHES.flatMap(() => bindings);
}

export interface StoredUserFacts {
  readonly id: string;
  readonly userName: string;
  readonly active: boolean;
  readonly mappedGroups: ReadonlyArray<{ mappingId: string; groupId: string; groupName: string }>;
  readonly manualTeamIds: readonly string[];
  readonly configVersion: number;
}

export interface StoredAccessConfig {
  readonly teams: ReadonlyArray<{ id: string; name: string; scopes: string[]; deviceGroups: string[] }>;
  readonly mappings: ReadonlyArray<{
    id: string;
    connectionId: string;
    matchBy: MappingMatch;
    matchValue: string;
    grantsMembership: boolean;
    role: Role | null;
    teamIds: string[];
  }>;
}

/**
 * The SELECT of user facts (before its WHERE): the user, the org's config version, the
 * mappings naming their groups, their manual teams.
 */
function factsSelect(pg: boolean): string {
  const mapped = pg
    ? `json_agg(json_build_object('m', x.m, 'g', x.g, 'n', x.n))`
    : `json_group_array(json_object('m', x.m, 'g', x.g, 'n', x.n))`;
  const manual = pg ? 'json_agg(tm.team_id)' : 'json_group_array(tm.team_id)';
  // PostgreSQL's default costs prefer hashing the whole groups table to a few primary-key
  // lookups; the OFFSET 0 fence keeps it on the user's own groups (LATERAL is PostgreSQL-only).
  const branches = pg
    ? `SELECT mm.id AS m, g.id AS g, g.display_name AS n
         FROM group_memberships gm
         CROSS JOIN LATERAL (SELECT g.id, g.connection_id, g.external_id, g.display_name
                               FROM directory_groups g WHERE g.id = gm.group_id OFFSET 0) g
         CROSS JOIN LATERAL (${perMatchKind('SELECT m.id FROM group_mappings m WHERE MATCH')}) mm
        WHERE gm.user_id = u.id`
    : perMatchKind(`SELECT m.id AS m, g.id AS g, g.display_name AS n
        FROM group_memberships gm JOIN directory_groups g ON g.id = gm.group_id
        JOIN group_mappings m ON MATCH
       WHERE gm.user_id = u.id`);
  return `SELECT u.id, u.user_name, u.active, o.access_config_version AS cv,
      (SELECT ${mapped} FROM (${branches}) x) AS mapped,
      (SELECT ${manual} FROM team_memberships tm WHERE tm.user_id = u.id AND tm.source = 'manual') AS manual
    FROM directory_users u JOIN organizations o ON o.id = u.org_id`;
}

function factsOf(row: Row): StoredUserFacts {
  const groups = fromJson<Array<{ m: string; g: string; n: string }>>(row.mapped) ?? [];
  return {
    id: row.id as string,
    userName: row.user_name as string,
    active: toBool(row.active),
    mappedGroups: groups.map((x) => ({ mappingId: x.m, groupId: x.g, groupName: x.n })),
    manualTeamIds: fromJson<string[]>(row.manual) ?? [],
    configVersion: Number(row.cv),
  };
}

export interface MappedGroupRow {
  readonly mappingId: string;
  readonly groupId: string;
  readonly groupName: string;
}

/** The next `limit` users of the org after the id `after`, locked until the transaction ends. */
export interface UserPage {
  readonly after: string;
  readonly limit: number;
  /** Lock the page's rows (PostgreSQL) while they are recomputed; false for a read-only look (a preview). */
  readonly lock?: boolean;
}

/** The org's users with ids in (after, upTo]. */
export interface UserRange {
  readonly after: string;
  readonly upTo: string;
}

export class AccessFactsRepository {
  constructor(
    private readonly db: Knex,
    private readonly changes?: TransactionChanges,
  ) {}

  /** The user named by id or userName (case-insensitive), with everything a decision needs about them. */
  /** Members of the connection's groups a mapping would match: how many, and the first `limit` by userName. */
  async membersOfMatchedGroups(
    orgId: string,
    match: { connectionId: string; matchBy: MappingMatch; matchValue: string },
    limit: number,
  ): Promise<{ total: number; users: Array<{ id: string; userName: string }> }> {
    if (!MAPPING_MATCHES.includes(match.matchBy)) throw new Error(`unknown match kind ${match.matchBy}`);
    const members = () =>
      this.db('group_memberships as gm')
        .join('directory_groups as g', 'g.id', 'gm.group_id')
        .where('g.org_id', orgId)
        .andWhere('g.connection_id', match.connectionId)
        // The column comes from the fixed list of match kinds checked above.
        .andWhere(`g.${match.matchBy}`, match.matchValue);
    const [counted] = await members().countDistinct({ n: 'gm.user_id' });
    const rows = await members()
      .join('directory_users as u', 'u.id', 'gm.user_id')
      .distinct('u.id', 'u.user_name', 'u.user_name_lower')
      .orderBy('u.user_name_lower')
      .limit(limit);
    return {
      total: Number((counted as { n: unknown } | undefined)?.n ?? 0),
      users: rows.map((r: Record<string, unknown>) => ({ id: r.id as string, userName: r.user_name as string })),
    };
  }

  async userFacts(orgId: string, idOrUserName: string): Promise<StoredUserFacts | undefined> {
    const sql = `${factsSelect(dialectOf(this.db) === 'pg')}
      WHERE u.org_id = ? AND (u.id = ? OR u.user_name_lower = ?)
      ORDER BY CASE WHEN u.id = ? THEN 0 ELSE 1 END
      LIMIT 1`;
    const result: unknown = await prepared(
      this.db,
      this.db.raw(sql, [orgId, idOrUserName, idOrUserName.toLowerCase(), idOrUserName]),
    );
    const row = this.rowsOf(result)[0];
    return row ? factsOf(row) : undefined;
  }

  /** The facts of these users of the org (those that exist), in one statement. */
  /**
   * The facts of these users of the org (those that exist): three set-based statements for
   * the whole batch (users, their groups that mappings name, their manual teams) rather
   * than a correlated lookup per user.
   */
  /** Every group of the org that a mapping names, with the mapping (one row per pair). */
  async mappedGroups(orgId: string): Promise<MappedGroupRow[]> {
    const rows = this.rowsOf(
      await prepared(
        this.db,
        this.db.raw(
          perMatchKind(`SELECT m.id AS m, g.id AS g, g.display_name AS n
           FROM group_mappings m JOIN directory_groups g ON MATCH
          WHERE m.org_id = ? AND g.org_id = ?`),
          perMatchKindBindings([orgId, orgId]),
        ),
      ),
    );
    return rows.map((r) => ({ mappingId: r.m as string, groupId: r.g as string, groupName: r.n as string }));
  }

  /**
   * The facts of these users (by id, or a range of ids), given the org's mapped groups
   * (`mappedGroups`, read once for many batches): the memberships read are only those in
   * mapped groups, by the membership table's primary key.
   */
  async factsOfUsers(
    orgId: string,
    selection: readonly string[] | UserRange | UserPage,
    mappedGroups?: readonly MappedGroupRow[],
  ): Promise<StoredUserFacts[]> {
    const pg = dialectOf(this.db) === 'pg';
    let list: string;
    let ids: Knex.RawBinding[];
    if ('limit' in selection) {
      // The next page of the org's users, their rows locked (PostgreSQL) in id order: then
      // the rest is read by the range the page covers.
      const page = this.rowsOf(
        await this.db.raw(
          `SELECT u.id, u.user_name, u.active, o.access_config_version AS cv
             FROM directory_users u JOIN organizations o ON o.id = u.org_id
            WHERE u.org_id = ? AND u.id > ? ORDER BY u.id LIMIT ?${pg && selection.lock !== false ? ' FOR NO KEY UPDATE OF u' : ''}`,
          [orgId, selection.after, selection.limit],
        ),
      );
      const last = page[page.length - 1];
      if (!last) return [];
      return this.factsOf(orgId, page, '> ? AND %COL <= ?', [selection.after, last.id as string], mappedGroups);
    }
    if ('after' in selection) {
      // A page of the org's users by id: range scans rather than a probe per user.
      list = '> ? AND %COL <= ?';
      ids = [selection.after, selection.upTo];
    } else {
      if (selection.length === 0) return [];
      list = pg ? '= ANY(?)' : `IN (${selection.map(() => '?').join(',')})`;
      // pg binds a JS array as a PostgreSQL array.
      ids = pg ? [[...selection] as unknown as Knex.RawBinding] : [...selection];
    }
    const users = this.rowsOf(
      await prepared(
        this.db,
        this.db.raw(
          `SELECT u.id, u.user_name, u.active, o.access_config_version AS cv
           FROM directory_users u JOIN organizations o ON o.id = u.org_id
          WHERE u.org_id = ? AND u.id ${list.replace('%COL', 'u.id')}`,
          [orgId, ...ids],
        ),
      ),
    );
    return this.factsOf(orgId, users, list, ids, mappedGroups);
  }

  /** The users' facts: their memberships in mapped groups and manual teams, read by the same selection. */
  private async factsOf(
    orgId: string,
    users: Row[],
    list: string,
    ids: Knex.RawBinding[],
    mappedGroups?: readonly MappedGroupRow[],
  ): Promise<StoredUserFacts[]> {
    if (users.length === 0) return [];
    const pg = dialectOf(this.db) === 'pg';
    const on = (col: string): string => `${col} ${list.replace('%COL', col)}`;
    const named = mappedGroups ?? (await this.mappedGroups(orgId));
    const byGroup = new Map<string, MappedGroupRow[]>();
    for (const g of named) byGroup.set(g.groupId, [...(byGroup.get(g.groupId) ?? []), g]);
    const groupIds = [...byGroup.keys()];
    const memberships = groupIds.length
      ? this.rowsOf(
          await prepared(
            this.db,
            this.db.raw(
              `SELECT user_id, group_id FROM group_memberships
              WHERE ${pg ? 'group_id = ANY(?)' : `group_id IN (${groupIds.map(() => '?').join(',')})`}
                AND ${on('user_id')}`,
              [...(pg ? [groupIds as unknown as Knex.RawBinding] : groupIds), ...ids],
            ),
          ),
        )
      : [];
    const mapped = memberships.flatMap((r) =>
      (byGroup.get(r.group_id as string) ?? []).map((g) => ({
        u: r.user_id,
        m: g.mappingId,
        g: g.groupId,
        n: g.groupName,
      })),
    );
    const manual = this.rowsOf(
      await prepared(
        this.db,
        this.db.raw(
          `SELECT user_id, team_id FROM team_memberships WHERE org_id = ? AND source = 'manual' AND ${on('user_id')}`,
          [orgId, ...ids],
        ),
      ),
    );
    const groupsOf = new Map<string, Array<{ mappingId: string; groupId: string; groupName: string }>>();
    for (const r of mapped) {
      const list = groupsOf.get(r.u as string) ?? [];
      list.push({ mappingId: r.m as string, groupId: r.g as string, groupName: r.n as string });
      groupsOf.set(r.u as string, list);
    }
    const teamsOf = new Map<string, string[]>();
    for (const r of manual)
      teamsOf.set(r.user_id as string, [...(teamsOf.get(r.user_id as string) ?? []), r.team_id as string]);
    return users.map((r) => ({
      id: r.id as string,
      userName: r.user_name as string,
      active: toBool(r.active),
      mappedGroups: groupsOf.get(r.id as string) ?? [],
      manualTeamIds: teamsOf.get(r.id as string) ?? [],
      configVersion: Number(r.cv),
    }));
  }

  private rowsOf(result: unknown): Row[] {
    return dialectOf(this.db) === 'pg' ? (result as { rows: Row[] }).rows : (result as Row[]);
  }

  async configVersion(orgId: string): Promise<number | undefined> {
    const row = await this.db<Row>('organizations').where({ id: orgId }).first('access_config_version');
    return row ? Number(row.access_config_version) : undefined;
  }

  /** Marks the org's teams/mappings/policy as changed; call inside the transaction that changes them. */
  async bumpConfigVersion(orgId: string): Promise<void> {
    await this.db('organizations')
      .where({ id: orgId })
      .update({ access_config_version: this.db.raw('access_config_version + 1') });
    await announceAccessChange(this.db, orgId, null);
    this.changes?.configChanged(orgId);
  }

  async config(orgId: string): Promise<StoredAccessConfig> {
    const rows =
      (q: Knex.QueryBuilder): (() => Promise<Row[]>) =>
      async () =>
        (await q) as Row[];
    const [teams, scopes, deviceGroups, mappings] = await allOf(this.db, [
      rows(this.db('teams').where({ org_id: orgId }).select('id', 'name')),
      rows(this.db('team_scopes').where({ org_id: orgId }).select('team_id', 'scope').orderBy('scope')),
      rows(
        this.db('team_device_groups')
          .where({ org_id: orgId })
          .select('team_id', 'device_group')
          .orderBy('device_group'),
      ),
      () => new GroupMappingRepository(this.db).list(orgId),
    ] as const);
    const grouped = (rows: Row[], key: string, value: string): Map<string, string[]> => {
      const out = new Map<string, string[]>();
      for (const r of rows) {
        const list = out.get(r[key] as string) ?? [];
        list.push(r[value] as string);
        out.set(r[key] as string, list);
      }
      return out;
    };
    const scopesOf = grouped(scopes, 'team_id', 'scope');
    const groupsOf = grouped(deviceGroups, 'team_id', 'device_group');
    return {
      teams: teams.map((t) => ({
        id: t.id as string,
        name: t.name as string,
        scopes: scopesOf.get(t.id as string) ?? [],
        deviceGroups: groupsOf.get(t.id as string) ?? [],
      })),
      mappings: mappings.map((m) => ({
        id: m.id,
        connectionId: m.connectionId,
        matchBy: m.matchBy,
        matchValue: m.matchValue,
        grantsMembership: m.grantsMembership,
        role: m.role as Role | null,
        teamIds: [...m.teamIds],
      })),
    };
  }
}

/**
 * The directory as the admin console browses it: users and groups in name order, searched
 * by a substring of the name, paged by keyset cursor (cost per page independent of depth);
 * one user with their groups and teams; each connection's counts; the group a mapping
 * matches. Reads only.
 */
import type { Knex } from 'knex';
import { MAPPING_MATCHES, type MappingMatch } from '../../domain/team.js';
import type { MembershipSource } from '../../domain/team.js';
import type { DirectoryUserRepository } from '../repositories/directory-users.js';
import type { TeamRepository } from '../repositories/teams.js';
import { toBool, toIso } from '../rows.js';

type Row = Record<string, unknown>;

export interface BrowseQuery {
  /** Substring of userName / display name (case-insensitive). */
  readonly q?: string;
  readonly connectionId?: string;
  /** After this (name_lower, id) position. */
  readonly after?: { readonly name: string; readonly id: string };
  readonly limit: number;
}

export interface UserRow {
  /** The position a cursor continues after. */
  readonly key: string;
  readonly id: string;
  readonly userName: string;
  readonly displayName: string | null;
  readonly active: boolean;
  readonly connectionId: string | null;
  readonly externalId: string | null;
  readonly email: string | null;
  readonly updatedAt: string;
}

export interface GroupRow {
  readonly key: string;
  readonly id: string;
  readonly displayName: string;
  readonly externalId: string | null;
  readonly connectionId: string | null;
  /** Members, counting those of the groups it includes (Google's nested groups). */
  readonly memberCount: number;
  /** The groups it includes, by name (nesting as the directory has it). */
  readonly includes: Array<{ id: string; displayName: string }>;
  readonly updatedAt: string;
}

/** One user as the console shows them: profile, status, IdP groups and team memberships. */
export interface UserDetail {
  readonly id: string;
  readonly userName: string;
  readonly displayName: string | null;
  readonly active: boolean;
  readonly connectionId: string | null;
  readonly externalId: string | null;
  readonly email: string | null;
  readonly emails: string[];
  readonly groups: Array<{ id: string; displayName: string }>;
  readonly teams: Array<{ id: string; name: string; source: MembershipSource }>;
  readonly createdAt: string;
  readonly updatedAt: string;
}

function likePattern(q: string): string {
  return `%${q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export class DirectoryBrowseReadModel {
  constructor(
    private readonly db: Knex,
    private readonly repos: { readonly users: DirectoryUserRepository; readonly teams: TeamRepository },
  ) {}

  /** The user named by id or userName (case-insensitive), with their groups and teams; undefined when none. */
  async user(orgId: string, ref: string): Promise<UserDetail | undefined> {
    const { users, teams } = this.repos;
    const user = (await users.get(orgId, ref)) ?? (await users.findByUserName(orgId, ref));
    if (!user) return undefined;
    const [groups, memberships, orgTeams] = await Promise.all([
      users.groupsOf(orgId, [user.id]),
      teams.memberships(orgId, user.id),
      teams.list(orgId),
    ]);
    const names = new Map(orgTeams.map((t) => [t.id, t.name]));
    const emails = (user.multiValued.emails ?? []).map((e) => e.value).filter((v): v is string => !!v);
    return {
      id: user.id,
      userName: user.userName,
      displayName: user.displayName,
      active: user.active,
      connectionId: user.connectionId,
      externalId: user.externalId,
      email: emails[0] ?? null,
      emails,
      groups: groups.get(user.id) ?? [],
      teams: memberships.map((m) => ({ id: m.teamId, name: names.get(m.teamId) ?? m.teamId, source: m.source })),
      createdAt: user.createdAt,
      updatedAt: user.updatedAt,
    };
  }

  async users(orgId: string, query: BrowseQuery & { status?: 'active' | 'inactive' }): Promise<UserRow[]> {
    const q = this.db('directory_users as u').where('u.org_id', orgId);
    if (query.connectionId) q.andWhere('u.connection_id', query.connectionId);
    if (query.status) q.andWhere('u.active', query.status === 'active');
    if (query.q) {
      const pattern = likePattern(query.q);
      q.andWhere((w) =>
        w
          .whereRaw(`u.user_name_lower LIKE ? ESCAPE '\\'`, [pattern])
          .orWhereRaw(`LOWER(u.display_name) LIKE ? ESCAPE '\\'`, [pattern]),
      );
    }
    if (query.after) {
      const { name, id } = query.after;
      q.andWhere((w) =>
        w
          .where('u.user_name_lower', '>', name)
          .orWhere((x) => x.where('u.user_name_lower', name).andWhere('u.id', '>', id)),
      );
    }
    const rows: Row[] = await q
      .select(
        'u.id',
        'u.user_name',
        'u.user_name_lower',
        'u.display_name',
        'u.active',
        'u.connection_id',
        'u.external_id',
        'u.updated_at',
        this.db.raw(
          `(SELECT e.value FROM directory_user_values e WHERE e.user_id = u.id AND e.attribute = 'emails' ORDER BY e."primary" DESC, e.position LIMIT 1) AS email`,
        ),
      )
      .orderBy([
        { column: 'u.user_name_lower', order: 'asc' },
        { column: 'u.id', order: 'asc' },
      ])
      .limit(query.limit);
    return rows.map((r) => ({
      key: r.user_name_lower as string,
      id: r.id as string,
      userName: r.user_name as string,
      displayName: (r.display_name as string | null) ?? null,
      active: toBool(r.active),
      connectionId: (r.connection_id as string | null) ?? null,
      externalId: (r.external_id as string | null) ?? null,
      email: (r.email as string | null) ?? null,
      updatedAt: toIso(r.updated_at),
    }));
  }

  async groups(orgId: string, query: BrowseQuery): Promise<GroupRow[]> {
    const q = this.db('directory_groups as g').where('g.org_id', orgId);
    if (query.connectionId) q.andWhere('g.connection_id', query.connectionId);
    if (query.q) q.andWhereRaw(`g.display_name_lower LIKE ? ESCAPE '\\'`, [likePattern(query.q)]);
    if (query.after) {
      const { name, id } = query.after;
      q.andWhere((w) =>
        w
          .where('g.display_name_lower', '>', name)
          .orWhere((x) => x.where('g.display_name_lower', name).andWhere('g.id', '>', id)),
      );
    }
    const rows: Row[] = await q
      .select(
        'g.id',
        'g.display_name',
        'g.display_name_lower',
        'g.external_id',
        'g.connection_id',
        'g.updated_at',
        this.db.raw('(SELECT COUNT(*) FROM group_memberships m WHERE m.group_id = g.id) AS member_count'),
      )
      .orderBy([
        { column: 'g.display_name_lower', order: 'asc' },
        { column: 'g.id', order: 'asc' },
      ])
      .limit(query.limit);
    const includes = await this.includedGroups(rows.map((r) => r.id as string));
    return rows.map((r) => ({
      key: r.display_name_lower as string,
      id: r.id as string,
      displayName: r.display_name as string,
      externalId: (r.external_id as string | null) ?? null,
      connectionId: (r.connection_id as string | null) ?? null,
      memberCount: Number(r.member_count ?? 0),
      includes: includes.get(r.id as string) ?? [],
      updatedAt: toIso(r.updated_at),
    }));
  }

  /** The groups each of these includes (one query for a page of groups). */
  private async includedGroups(
    ids: readonly string[],
  ): Promise<Map<string, Array<{ id: string; displayName: string }>>> {
    const out = new Map<string, Array<{ id: string; displayName: string }>>();
    if (ids.length === 0) return out;
    const rows: Row[] = await this.db('group_nestings as n')
      .join('directory_groups as c', 'c.id', 'n.child_group_id')
      .whereIn('n.parent_group_id', ids)
      .orderBy('c.display_name_lower')
      .select('n.parent_group_id', 'c.id', 'c.display_name');
    for (const r of rows) {
      const list = out.get(r.parent_group_id as string) ?? [];
      list.push({ id: r.id as string, displayName: r.display_name as string });
      out.set(r.parent_group_id as string, list);
    }
    return out;
  }

  /** Users and groups each connection has pushed (for the connection status). */
  async countsByConnection(orgId: string): Promise<Map<string, { users: number; groups: number }>> {
    const out = new Map<string, { users: number; groups: number }>();
    const entry = (id: string): { users: number; groups: number } => {
      let e = out.get(id);
      if (!e) out.set(id, (e = { users: 0, groups: 0 }));
      return e;
    };
    const users: Row[] = await this.db('directory_users')
      .where({ org_id: orgId })
      .whereNotNull('connection_id')
      .groupBy('connection_id')
      .select('connection_id', this.db.raw('COUNT(*) AS n'));
    for (const r of users) entry(r.connection_id as string).users = Number(r.n);
    const groups: Row[] = await this.db('directory_groups')
      .where({ org_id: orgId })
      .whereNotNull('connection_id')
      .groupBy('connection_id')
      .select('connection_id', this.db.raw('COUNT(*) AS n'));
    for (const r of groups) entry(r.connection_id as string).groups = Number(r.n);
    return out;
  }

  /** The directory group a mapping matches, if the IdP has pushed it. */
  async matchedGroup(
    orgId: string,
    match: { connectionId: string; matchBy: MappingMatch; matchValue: string },
  ): Promise<{ id: string; displayName: string; members: number } | undefined> {
    if (!MAPPING_MATCHES.includes(match.matchBy)) return undefined;
    const row = (await this.db('directory_groups as g')
      .where({ 'g.org_id': orgId, 'g.connection_id': match.connectionId })
      // The column comes from the fixed list of match kinds checked above.
      .andWhere(`g.${match.matchBy}`, match.matchValue)
      .first(
        'g.id',
        'g.display_name',
        this.db.raw('(SELECT COUNT(*) FROM group_memberships m WHERE m.group_id = g.id) AS member_count'),
      )) as Row | undefined;
    return row
      ? { id: row.id as string, displayName: row.display_name as string, members: Number(row.member_count ?? 0) }
      : undefined;
  }
}

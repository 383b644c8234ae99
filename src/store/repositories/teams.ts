/** Teams with their scopes, device groups and memberships (each membership records its source). */
import type { Knex } from 'knex';
import { ConflictError } from '../../domain/errors/index.js';
import type { MembershipSource, Team } from '../../domain/team.js';
import { isUniqueViolation, toIso } from '../rows.js';

type Row = Record<string, unknown>;

function toTeam(row: Row): Team {
  return {
    id: row.id as string,
    orgId: row.org_id as string,
    name: row.name as string,
    description: (row.description as string | null) ?? null,
    version: Number(row.version),
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
  };
}

export class TeamRepository {
  constructor(private readonly db: Knex) {}

  async insert(team: Team): Promise<void> {
    try {
      await this.db('teams').insert({
        id: team.id,
        org_id: team.orgId,
        name: team.name,
        name_lower: team.name.toLowerCase(),
        description: team.description,
        version: team.version,
        created_at: team.createdAt,
        updated_at: team.updatedAt,
      });
    } catch (error) {
      if (isUniqueViolation(error))
        throw new ConflictError('team.name_taken', `A team named ${JSON.stringify(team.name)} already exists`);
      throw error;
    }
  }

  async get(orgId: string, id: string): Promise<Team | undefined> {
    const row = await this.db<Row>('teams').where({ org_id: orgId, id }).first();
    return row ? toTeam(row) : undefined;
  }

  async findByName(orgId: string, name: string): Promise<Team | undefined> {
    const row = await this.db<Row>('teams').where({ org_id: orgId, name_lower: name.toLowerCase() }).first();
    return row ? toTeam(row) : undefined;
  }

  async list(orgId: string): Promise<Team[]> {
    return (await this.db<Row>('teams').where({ org_id: orgId }).orderBy('name_lower')).map(toTeam);
  }

  async update(team: Team): Promise<void> {
    try {
      await this.db('teams').where({ org_id: team.orgId, id: team.id }).update({
        name: team.name,
        name_lower: team.name.toLowerCase(),
        description: team.description,
        version: team.version,
        updated_at: team.updatedAt,
      });
    } catch (error) {
      if (isUniqueViolation(error))
        throw new ConflictError('team.name_taken', `A team named ${JSON.stringify(team.name)} already exists`);
      throw error;
    }
  }

  /** Members per team and source, for listings. */
  async memberCounts(orgId: string): Promise<Map<string, { idp: number; manual: number }>> {
    const rows = await this.db<Row>('team_memberships')
      .where({ org_id: orgId })
      .groupBy('team_id', 'source')
      .select('team_id', 'source')
      .count({ n: '*' });
    const out = new Map<string, { idp: number; manual: number }>();
    for (const r of rows) {
      const counts = out.get(r.team_id as string) ?? { idp: 0, manual: 0 };
      counts[r.source as MembershipSource] = Number(r.n);
      out.set(r.team_id as string, counts);
    }
    return out;
  }

  async members(
    orgId: string,
    teamId: string,
    limit: number,
  ): Promise<Array<{ userId: string; userName: string; source: MembershipSource }>> {
    const rows = await this.db<Row>('team_memberships as tm')
      .join('directory_users as u', 'u.id', 'tm.user_id')
      .where({ 'tm.org_id': orgId, 'tm.team_id': teamId })
      .orderBy(['u.user_name_lower', 'tm.source'])
      .limit(limit)
      .select('tm.user_id', 'u.user_name', 'tm.source');
    return rows.map((r) => ({
      userId: r.user_id as string,
      userName: r.user_name as string,
      source: r.source as MembershipSource,
    }));
  }

  async delete(orgId: string, id: string): Promise<boolean> {
    return (await this.db('teams').where({ org_id: orgId, id }).delete()) > 0;
  }

  async scopes(orgId: string, teamId: string): Promise<string[]> {
    const rows = await this.db<Row>('team_scopes').where({ org_id: orgId, team_id: teamId }).orderBy('scope');
    return rows.map((r) => r.scope as string);
  }

  async setScopes(orgId: string, teamId: string, scopes: readonly string[]): Promise<void> {
    await this.db('team_scopes').where({ org_id: orgId, team_id: teamId }).delete();
    if (scopes.length > 0) {
      await this.db('team_scopes').insert(
        [...new Set(scopes)].map((scope) => ({ org_id: orgId, team_id: teamId, scope })),
      );
    }
  }

  async deviceGroups(orgId: string, teamId: string): Promise<string[]> {
    const rows = await this.db<Row>('team_device_groups')
      .where({ org_id: orgId, team_id: teamId })
      .orderBy('device_group');
    return rows.map((r) => r.device_group as string);
  }

  async setDeviceGroups(orgId: string, teamId: string, deviceGroups: readonly string[]): Promise<void> {
    await this.db('team_device_groups').where({ org_id: orgId, team_id: teamId }).delete();
    if (deviceGroups.length > 0) {
      await this.db('team_device_groups').insert(
        [...new Set(deviceGroups)].map((device_group) => ({ org_id: orgId, team_id: teamId, device_group })),
      );
    }
  }

  async addMember(orgId: string, teamId: string, userId: string, source: MembershipSource, at: string): Promise<void> {
    await this.db('team_memberships')
      .insert({ org_id: orgId, team_id: teamId, user_id: userId, source, created_at: at })
      .onConflict(['team_id', 'user_id', 'source'])
      .ignore();
  }

  async removeMember(orgId: string, teamId: string, userId: string, source: MembershipSource): Promise<boolean> {
    return (
      (await this.db('team_memberships').where({ org_id: orgId, team_id: teamId, user_id: userId, source }).delete()) >
      0
    );
  }

  async memberships(orgId: string, userId: string): Promise<Array<{ teamId: string; source: MembershipSource }>> {
    const rows = await this.db<Row>('team_memberships')
      .where({ org_id: orgId, user_id: userId })
      .orderBy(['team_id', 'source']);
    return rows.map((r) => ({ teamId: r.team_id as string, source: r.source as MembershipSource }));
  }
}

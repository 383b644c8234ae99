/** Admin rules mapping an IdP group of a connection to org membership, a role and teams. */
import type { Knex } from 'knex';
import { ConflictError } from '../../domain/errors/index.js';
import type { GroupMapping, MappingMatch } from '../../domain/team.js';
import { isUniqueViolation, toBool, toIso } from '../rows.js';

type Row = Record<string, unknown>;

export class GroupMappingRepository {
  constructor(private readonly db: Knex) {}

  async insert(mapping: GroupMapping): Promise<void> {
    try {
      await this.db('group_mappings').insert({
        id: mapping.id,
        org_id: mapping.orgId,
        connection_id: mapping.connectionId,
        match_by: mapping.matchBy,
        match_value: mapping.matchValue,
        grants_membership: mapping.grantsMembership,
        role: mapping.role,
        version: mapping.version,
        created_at: mapping.createdAt,
        updated_at: mapping.updatedAt,
      });
    } catch (error) {
      if (isUniqueViolation(error))
        throw new ConflictError('mapping.duplicate', 'A mapping for this group already exists');
      throw error;
    }
    if (mapping.teamIds.length > 0) {
      await this.db('group_mapping_teams').insert(
        mapping.teamIds.map((team_id) => ({ org_id: mapping.orgId, mapping_id: mapping.id, team_id })),
      );
    }
  }

  /** Replaces what the mapping grants (the group it matches stays). */
  async update(mapping: GroupMapping): Promise<void> {
    await this.db('group_mappings').where({ org_id: mapping.orgId, id: mapping.id }).update({
      grants_membership: mapping.grantsMembership,
      role: mapping.role,
      version: mapping.version,
      updated_at: mapping.updatedAt,
    });
    await this.db('group_mapping_teams').where({ org_id: mapping.orgId, mapping_id: mapping.id }).delete();
    if (mapping.teamIds.length > 0) {
      await this.db('group_mapping_teams').insert(
        mapping.teamIds.map((team_id) => ({ org_id: mapping.orgId, mapping_id: mapping.id, team_id })),
      );
    }
  }

  async list(orgId: string): Promise<GroupMapping[]> {
    const rows = await this.db<Row>('group_mappings').where({ org_id: orgId }).orderBy(['created_at', 'id']);
    const teams = await this.db<Row>('group_mapping_teams').where({ org_id: orgId }).orderBy('team_id');
    return rows.map((row) => ({
      id: row.id as string,
      orgId: row.org_id as string,
      connectionId: row.connection_id as string,
      matchBy: row.match_by as MappingMatch,
      matchValue: row.match_value as string,
      grantsMembership: toBool(row.grants_membership),
      role: (row.role as string | null) ?? null,
      teamIds: teams.filter((t) => t.mapping_id === row.id).map((t) => t.team_id as string),
      version: Number(row.version),
      createdAt: toIso(row.created_at),
      updatedAt: toIso(row.updated_at),
    }));
  }

  async get(orgId: string, id: string): Promise<GroupMapping | undefined> {
    return (await this.list(orgId)).find((m) => m.id === id);
  }

  async delete(orgId: string, id: string): Promise<boolean> {
    return (await this.db('group_mappings').where({ org_id: orgId, id }).delete()) > 0;
  }
}

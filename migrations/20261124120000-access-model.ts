/**
 * The access model's bookkeeping:
 * - `organizations.access_config_version`, bumped in the same transaction as every team,
 *   mapping or policy edit, so a decision (on any instance) sees whether its cached copy
 *   of the org's teams, mappings and policy is current.
 * - lookups from a directory group to the mappings that name it, by each match kind.
 * Never edit this file once merged.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('organizations', (t) => {
    t.integer('access_config_version').notNullable().defaultTo(1);
  });
  await knex.schema.alterTable('group_mappings', (t) => {
    t.index(['org_id', 'match_value'], 'group_mappings_org_value_index');
  });
  await knex.schema.alterTable('team_memberships', (t) => {
    t.index(['org_id', 'source', 'team_id'], 'team_memberships_org_source_team_index');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('team_memberships', (t) => {
    t.dropIndex(['org_id', 'source', 'team_id'], 'team_memberships_org_source_team_index');
  });
  await knex.schema.alterTable('group_mappings', (t) => {
    t.dropIndex(['org_id', 'match_value'], 'group_mappings_org_value_index');
  });
  await knex.schema.alterTable('organizations', (t) => {
    t.dropColumn('access_config_version');
  });
}

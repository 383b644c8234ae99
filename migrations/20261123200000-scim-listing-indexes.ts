/**
 * Indexes for SCIM listing: a connection pages through its own users and groups in
 * (created_at, id) order, by offset or by keyset cursor, without sorting the org's rows.
 * Never edit this file once merged.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('directory_users', (t) => {
    t.index(['org_id', 'connection_id', 'created_at', 'id'], 'directory_users_connection_order_index');
  });
  await knex.schema.alterTable('directory_groups', (t) => {
    t.index(['org_id', 'connection_id', 'created_at', 'id'], 'directory_groups_connection_order_index');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('directory_groups', (t) => {
    t.dropIndex(['org_id', 'connection_id', 'created_at', 'id'], 'directory_groups_connection_order_index');
  });
  await knex.schema.alterTable('directory_users', (t) => {
    t.dropIndex(['org_id', 'connection_id', 'created_at', 'id'], 'directory_users_connection_order_index');
  });
}

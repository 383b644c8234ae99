/**
 * Indexes for SCIM listing: a connection pages through its own users and groups in
 * (created_at, id) order, by offset or by keyset cursor, without sorting the org's rows.
 * The org-wide (org_id, created_at/updated_at) indexes are dropped: every listing is per
 * connection, and on a freshly loaded table (statistics not yet gathered) the planner
 * could prefer them to the unique userName index and scan the whole org.
 * Never edit this file once merged.
 */
import type { Knex } from 'knex';

const ORDER = ['org_id', 'connection_id', 'created_at', 'id'];

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('directory_users', (t) => {
    t.index(ORDER, 'directory_users_connection_order_index');
    t.dropIndex(['org_id', 'created_at']);
    t.dropIndex(['org_id', 'updated_at']);
  });
  await knex.schema.alterTable('directory_groups', (t) => {
    t.index(ORDER, 'directory_groups_connection_order_index');
    t.dropIndex(['org_id', 'created_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('directory_groups', (t) => {
    t.index(['org_id', 'created_at']);
    t.dropIndex(ORDER, 'directory_groups_connection_order_index');
  });
  await knex.schema.alterTable('directory_users', (t) => {
    t.index(['org_id', 'created_at']);
    t.index(['org_id', 'updated_at']);
    t.dropIndex(ORDER, 'directory_users_connection_order_index');
  });
}

/**
 * Drops the audit log's (org_id, action, occurred_at) index. No query can use it: the
 * console's and the admin API's action filter matches words inside the action's name
 * (`LOWER(action) LIKE '%word%'`), and the person filter's action list sits in an OR with
 * an unindexed label, so every audit listing is served by the (org_id, occurred_at),
 * (org_id, actor_id) and (org_id, target_id) indexes. Each audited write (every SCIM
 * create, membership change and deactivation) kept it up to date for nothing.
 * Never edit this file once merged.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('audit_events', (t) => {
    t.dropIndex(['org_id', 'action', 'occurred_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('audit_events', (t) => {
    t.index(['org_id', 'action', 'occurred_at']);
  });
}

/**
 * Directory sync: a connection takes its people from SCIM (pushed) or from a directory the
 * service pulls (Google Workspace's Directory API).
 * - `connections.directory_source`: `scim` (default) or `google`; `sync_settings`: the pull's
 *   settings (sealed credentials, filters, schedule, guard), like saml_settings;
 * - `directory_sync_state`: one row per syncing connection: the lease that lets one
 *   instance run it at a time, when the next run is due (and why, when early), an approval
 *   waiting to apply, and the channel of Google's change notifications;
 * - `directory_sync_runs`: every run: trigger, status, counts, duration, the error in words,
 *   and what a held run would have deprovisioned;
 * - `directory_users.sync_missing_since`: when a sync first found the user gone from the
 *   directory (deleted after the connection's grace period);
 * - `group_nestings`: which groups a group contains (its memberships hold the flattened set).
 * Never edit this file once merged.
 */
import type { Knex } from 'knex';

const TZ = { useTz: true } as const;

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('connections', (t) => {
    t.string('directory_source', 16).notNullable().defaultTo('scim');
    t.jsonb('sync_settings').nullable();
  });
  await knex.schema.alterTable('directory_users', (t) => {
    t.timestamp('sync_missing_since', TZ).nullable();
  });
  await knex.schema.createTable('directory_sync_state', (t) => {
    t.string('connection_id', 36).primary().references('id').inTable('connections').onDelete('CASCADE');
    t.string('org_id', 36).notNullable().references('id').inTable('organizations').onDelete('CASCADE');
    t.string('lease_owner', 64).nullable();
    t.timestamp('lease_until', TZ).nullable();
    t.timestamp('next_run_at', TZ).nullable();
    /** A held run an admin approved: the next run applies despite the guard. */
    t.string('approved_run_id', 36).nullable();
    /** What made the next run due early (`watch`: Google reported a change); null: the schedule. */
    t.string('due_trigger', 16).nullable();
    /** Google's change notifications (users.watch): the channel, its token's hash, its end. */
    t.string('watch_channel_id', 64).nullable();
    t.string('watch_resource_id', 256).nullable();
    t.string('watch_token_hash', 64).nullable();
    t.timestamp('watch_expires_at', TZ).nullable();
    t.index(['next_run_at']);
  });
  await knex.schema.createTable('directory_sync_runs', (t) => {
    t.string('id', 36).primary();
    t.string('org_id', 36).notNullable().references('id').inTable('organizations').onDelete('CASCADE');
    t.string('connection_id', 36).notNullable().references('id').inTable('connections').onDelete('CASCADE');
    t.string('trigger', 16).notNullable(); // schedule | manual | approval | watch
    t.string('status', 16).notNullable(); // running | succeeded | failed | held | discarded
    t.timestamp('started_at', TZ).notNullable();
    t.timestamp('finished_at', TZ).nullable();
    t.jsonb('counts').nullable();
    t.string('error_code', 64).nullable();
    t.text('error_message').nullable();
    t.jsonb('held').nullable();
    t.index(['connection_id', 'started_at']);
  });
  await knex.schema.createTable('group_nestings', (t) => {
    t.string('org_id', 36).notNullable().references('id').inTable('organizations').onDelete('CASCADE');
    t.string('parent_group_id', 36).notNullable().references('id').inTable('directory_groups').onDelete('CASCADE');
    t.string('child_group_id', 36).notNullable().references('id').inTable('directory_groups').onDelete('CASCADE');
    t.primary(['parent_group_id', 'child_group_id']);
    t.index(['child_group_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('group_nestings');
  await knex.schema.dropTableIfExists('directory_sync_runs');
  await knex.schema.dropTableIfExists('directory_sync_state');
  await knex.schema.alterTable('directory_users', (t) => {
    t.dropColumn('sync_missing_since');
  });
  await knex.schema.alterTable('connections', (t) => {
    t.dropColumn('sync_settings');
    t.dropColumn('directory_source');
  });
}

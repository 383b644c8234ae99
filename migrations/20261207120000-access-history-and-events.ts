/**
 * Access history and change events (ADR 0007).
 * - `user_access_states`: each user's effective access as last recorded (scopes, teams,
 *   role, device-group rights, member, active), the "before" of the next change. No row:
 *   the user holds nothing. No foreign key: a deleted user's row is read, then removed.
 * - `organizations.access_history_since`: when the org's states were first recorded;
 *   null for orgs that had users before this migration, until the service records them.
 * - `access_changes`: one row per user per change of effective access, with its cause.
 * - `events`: the transactional outbox. On PostgreSQL `txid` is the writing transaction's
 *   id: readers return only events of transactions older than every one still running,
 *   ordered by (txid, seq), so a cursor never passes an event committed late.
 * - `webhook_endpoints` and `webhook_deliveries`: where events go, and each attempt.
 * Never edit this file once merged.
 */
import type { Knex } from 'knex';

const TZ = { useTz: true } as const;

export async function up(knex: Knex): Promise<void> {
  const pg = knex.client.config.client === 'pg';
  await knex.schema.alterTable('organizations', (t) => {
    t.timestamp('access_history_since', TZ).nullable();
  });
  await knex('organizations')
    .whereNotExists(knex('directory_users').select(knex.raw('1')).whereRaw('directory_users.org_id = organizations.id'))
    .update({ access_history_since: knex.fn.now() });

  await knex.schema.createTable('user_access_states', (t) => {
    t.string('user_id', 36).primary();
    t.string('org_id', 36).notNullable().references('id').inTable('organizations').onDelete('CASCADE');
    t.text('state').notNullable();
    t.index(['org_id']);
  });

  await knex.schema.createTable('access_changes', (t) => {
    t.bigIncrements('id');
    t.string('org_id', 36).notNullable().references('id').inTable('organizations').onDelete('CASCADE');
    t.string('user_id', 36).notNullable();
    t.string('user_name', 512).notNullable();
    t.timestamp('occurred_at', TZ).notNullable();
    t.text('change').notNullable();
    t.text('cause').notNullable();
    t.string('request_id', 128).nullable();
    t.index(['org_id', 'user_id', 'id']);
  });

  await knex.schema.createTable('events', (t) => {
    t.bigIncrements('seq');
    t.string('id', 40).notNullable();
    t.string('org_id', 36).notNullable().references('id').inTable('organizations').onDelete('CASCADE');
    t.string('type', 64).notNullable();
    t.timestamp('occurred_at', TZ).notNullable();
    t.string('subject_user_id', 36).nullable();
    t.text('data').notNullable();
    if (pg) t.bigInteger('txid').notNullable().defaultTo(knex.raw('(pg_current_xact_id()::text::bigint)'));
    else t.bigInteger('txid').notNullable().defaultTo(0);
    t.index(['org_id', 'txid', 'seq']);
  });

  await knex.schema.createTable('webhook_endpoints', (t) => {
    t.string('id', 36).primary();
    t.string('org_id', 36).notNullable().references('id').inTable('organizations').onDelete('CASCADE');
    t.string('url', 2048).notNullable();
    t.string('format', 16).notNullable(); // webhook | set
    t.text('event_types').nullable(); // JSON list; null: every type
    t.text('secret_sealed').nullable();
    t.string('audience', 512).nullable();
    t.string('description', 512).nullable();
    t.boolean('enabled').notNullable().defaultTo(true);
    t.string('disabled_reason', 512).nullable();
    t.timestamp('disabled_at', TZ).nullable();
    t.bigInteger('cursor_txid').notNullable().defaultTo(0);
    t.bigInteger('cursor_seq').notNullable().defaultTo(0);
    t.timestamp('failing_since', TZ).nullable();
    t.timestamp('last_success_at', TZ).nullable();
    t.timestamp('created_at', TZ).notNullable();
    t.index(['org_id']);
  });

  await knex.schema.createTable('webhook_deliveries', (t) => {
    t.bigIncrements('id');
    t.string('endpoint_id', 36).notNullable().references('id').inTable('webhook_endpoints').onDelete('CASCADE');
    t.string('org_id', 36).notNullable();
    t.bigInteger('event_seq').notNullable();
    t.string('event_id', 40).notNullable();
    t.string('event_type', 64).notNullable();
    /** Deliveries of one endpoint with the same key go out one at a time, in id order. */
    t.string('order_key', 36).nullable();
    t.string('state', 16).notNullable(); // pending | delivering | delivered | failed
    t.integer('attempts').notNullable().defaultTo(0);
    t.timestamp('next_attempt_at', TZ).notNullable();
    t.timestamp('claimed_until', TZ).nullable();
    t.integer('last_status').nullable();
    t.string('last_error', 512).nullable();
    t.integer('last_duration_ms').nullable();
    t.timestamp('created_at', TZ).notNullable();
    t.timestamp('finished_at', TZ).nullable();
    t.index(['endpoint_id', 'id']);
  });
  // What is still to go out, apart from the (much larger) log of what went: claims walk only these.
  const unfinished = "WHERE state IN ('pending', 'delivering')";
  await knex.raw(`CREATE INDEX webhook_deliveries_unfinished ON webhook_deliveries (endpoint_id, id) ${unfinished}`);
  await knex.raw(
    `CREATE INDEX webhook_deliveries_unfinished_by_user ON webhook_deliveries (endpoint_id, order_key, id) ${unfinished}`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('webhook_deliveries');
  await knex.schema.dropTable('webhook_endpoints');
  await knex.schema.dropTable('events');
  await knex.schema.dropTable('access_changes');
  await knex.schema.dropTable('user_access_states');
  await knex.schema.alterTable('organizations', (t) => {
    t.dropColumn('access_history_since');
  });
}

/**
 * Rate-limit counters shared by every instance: one row per limited key (a SCIM token, a
 * client IP) and fixed window, incremented in batches by each instance.
 * Never edit this file once merged.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('rate_limits', (t) => {
    t.string('key', 200).notNullable();
    t.bigInteger('window_start').notNullable(); // epoch milliseconds of the window's start
    t.integer('count').notNullable();
    t.primary(['key', 'window_start']);
    t.index(['window_start']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('rate_limits');
}

/**
 * Every credential can expire and says what it is for:
 * - `admin_tokens.kind`: `admin` (the admin API, with a role) or `api` (the decision API,
 *   prefix `ibapi_`); tokens issued for decisions before this migration (role User) are `api`;
 * - `scim_tokens.expires_at`: an optional expiry, as admin tokens already have.
 * Never edit this file once merged.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('admin_tokens', (t) => {
    t.string('kind', 8).notNullable().defaultTo('admin');
  });
  await knex('admin_tokens').where({ role: 'User' }).update({ kind: 'api' });
  await knex.schema.alterTable('admin_tokens', (t) => {
    t.index(['org_id', 'kind']);
  });
  await knex.schema.alterTable('scim_tokens', (t) => {
    t.timestamp('expires_at', { useTz: true }).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('scim_tokens', (t) => {
    t.dropColumn('expires_at');
  });
  await knex.schema.alterTable('admin_tokens', (t) => {
    t.dropIndex(['org_id', 'kind']);
  });
  await knex.schema.alterTable('admin_tokens', (t) => {
    t.dropColumn('kind');
  });
}

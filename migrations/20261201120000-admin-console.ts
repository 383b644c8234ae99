/**
 * The admin console's own state:
 * - `setup_links`: one-time links that sign their holder in as an org's Owner, for the
 *   first connection of an IdP (the org is created at redemption when the link names none);
 * - `console_sessions`: the sessions such a link starts (an SSO-signed-in admin uses their
 *   ordinary session instead), with the role they grant.
 * Never edit this file once merged.
 */
import type { Knex } from 'knex';

const TZ = { useTz: true } as const;

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('setup_links', (t) => {
    t.string('id', 36).primary();
    t.string('org_id', 36).nullable().references('id').inTable('organizations').onDelete('CASCADE');
    t.string('token_hash', 64).notNullable().unique(); // SHA-256 of the link's secret
    t.timestamp('created_at', TZ).notNullable();
    t.timestamp('expires_at', TZ).notNullable();
    t.timestamp('used_at', TZ).nullable();
  });
  await knex.schema.createTable('console_sessions', (t) => {
    t.string('id_hash', 64).primary();
    t.string('org_id', 36).notNullable().references('id').inTable('organizations').onDelete('CASCADE');
    t.string('role', 16).notNullable();
    t.string('origin', 36).notNullable(); // the setup link's id
    t.timestamp('created_at', TZ).notNullable();
    t.timestamp('expires_at', TZ).notNullable();
    t.timestamp('revoked_at', TZ).nullable();
    t.index(['org_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('console_sessions');
  await knex.schema.dropTableIfExists('setup_links');
}

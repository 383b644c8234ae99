/**
 * The whole domain of DESIGN.md as tables, portable between PostgreSQL and SQLite.
 *
 * Conventions: ids are random UUID strings; every tenant-owned table carries `org_id` and
 * cascades from its organization; timestamps are `timestamptz` on PostgreSQL and ISO-8601
 * UTC text on SQLite (written by the application, so they compare as text too); booleans
 * are native on PostgreSQL and 0/1 on SQLite; JSON is `jsonb` on PostgreSQL and text on
 * SQLite. Case-insensitive uniqueness (userName per org) uses an application-lowered
 * column, so both dialects fold case the same way.
 * Never edit this file once merged: add a new migration instead.
 */
import type { Knex } from 'knex';

const TZ = { useTz: true } as const;

function orgOwned(t: Knex.CreateTableBuilder): void {
  t.string('org_id', 36).notNullable().references('id').inTable('organizations').onDelete('CASCADE');
}

function timestamps(t: Knex.CreateTableBuilder): void {
  t.timestamp('created_at', TZ).notNullable();
  t.timestamp('updated_at', TZ).notNullable();
}

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('organizations', (t) => {
    t.string('id', 36).primary();
    t.string('slug', 63).notNullable().unique();
    t.string('name', 200).notNullable();
    timestamps(t);
  });

  await knex.schema.createTable('connections', (t) => {
    t.string('id', 36).primary();
    orgOwned(t);
    t.string('kind', 16).notNullable(); // okta | entra | google | generic
    t.string('name', 200).notNullable();
    t.string('name_lower', 200).notNullable();
    t.jsonb('saml_settings').nullable();
    t.jsonb('oidc_settings').nullable();
    t.timestamp('last_scim_request_at', TZ).nullable();
    t.text('last_scim_error').nullable();
    t.integer('version').notNullable().defaultTo(1);
    timestamps(t);
    t.unique(['org_id', 'name_lower']);
  });

  await knex.schema.createTable('connection_domains', (t) => {
    t.string('domain', 253).primary(); // lower-cased; one connection per domain across the instance
    orgOwned(t);
    t.string('connection_id', 36).notNullable().references('id').inTable('connections').onDelete('CASCADE');
    t.timestamp('created_at', TZ).notNullable();
    t.index(['org_id', 'connection_id']);
  });

  await knex.schema.createTable('scim_tokens', (t) => {
    t.string('id', 36).primary();
    orgOwned(t);
    t.string('connection_id', 36).notNullable().references('id').inTable('connections').onDelete('CASCADE');
    t.string('prefix', 32).notNullable().unique(); // public lookup part of the token
    t.string('token_hash', 64).notNullable(); // hex SHA-256 of the whole token; the token itself is never stored
    t.string('description', 200).nullable();
    t.timestamp('created_at', TZ).notNullable();
    t.timestamp('last_used_at', TZ).nullable();
    t.timestamp('revoked_at', TZ).nullable();
    t.index(['org_id', 'connection_id']);
  });

  await knex.schema.createTable('admin_tokens', (t) => {
    t.string('id', 36).primary();
    orgOwned(t);
    t.string('prefix', 32).notNullable().unique();
    t.string('token_hash', 64).notNullable();
    t.string('description', 200).nullable();
    t.string('role', 16).notNullable().defaultTo('Admin');
    t.timestamp('created_at', TZ).notNullable();
    t.timestamp('expires_at', TZ).nullable();
    t.timestamp('last_used_at', TZ).nullable();
    t.timestamp('revoked_at', TZ).nullable();
    t.index(['org_id']);
  });

  await knex.schema.createTable('directory_users', (t) => {
    t.string('id', 36).primary();
    orgOwned(t);
    // Null for users an admin or SSO created outside any SCIM connection.
    t.string('connection_id', 36).nullable().references('id').inTable('connections').onDelete('SET NULL');
    t.string('external_id', 512).nullable();
    t.string('user_name', 512).notNullable();
    t.string('user_name_lower', 512).notNullable();
    t.boolean('active').notNullable().defaultTo(true);
    t.string('display_name', 512).nullable();
    t.string('nick_name', 256).nullable();
    t.string('profile_url', 1024).nullable();
    t.string('title', 256).nullable();
    t.string('user_type', 128).nullable();
    t.string('preferred_language', 64).nullable();
    t.string('locale', 64).nullable();
    t.string('timezone', 64).nullable();
    t.string('name_formatted', 512).nullable();
    t.string('name_family_name', 256).nullable();
    t.string('name_given_name', 256).nullable();
    t.string('name_middle_name', 256).nullable();
    t.string('name_honorific_prefix', 64).nullable();
    t.string('name_honorific_suffix', 64).nullable();
    // urn:ietf:params:scim:schemas:extension:enterprise:2.0:User
    t.string('employee_number', 128).nullable();
    t.string('cost_center', 128).nullable();
    t.string('organization', 256).nullable();
    t.string('division', 256).nullable();
    t.string('department', 256).nullable();
    t.string('manager_value', 512).nullable();
    t.string('manager_display_name', 512).nullable();
    // Attributes of other extension schemas, kept as the IdP sent them.
    t.jsonb('extensions').nullable();
    t.integer('version').notNullable().defaultTo(1);
    timestamps(t);
    t.unique(['org_id', 'user_name_lower']);
    t.unique(['connection_id', 'external_id']);
    t.index(['org_id', 'created_at']);
    t.index(['org_id', 'updated_at']);
  });

  // Multi-valued attributes (emails, phoneNumbers, ims, photos, addresses, entitlements,
  // roles, x509Certificates) as rows, so filters such as emails[type eq "work"] are SQL.
  await knex.schema.createTable('directory_user_values', (t) => {
    t.increments('id').primary();
    orgOwned(t);
    t.string('user_id', 36).notNullable().references('id').inTable('directory_users').onDelete('CASCADE');
    t.string('attribute', 32).notNullable();
    t.integer('position').notNullable();
    t.string('type', 64).nullable();
    t.string('value', 1024).nullable();
    t.string('value_lower', 1024).nullable();
    t.string('display', 512).nullable();
    t.boolean('primary').notNullable().defaultTo(false);
    t.jsonb('sub_attributes').nullable(); // e.g. address parts
    t.index(['user_id', 'attribute']);
    t.index(['org_id', 'attribute', 'value_lower']);
  });

  await knex.schema.createTable('directory_groups', (t) => {
    t.string('id', 36).primary();
    orgOwned(t);
    t.string('connection_id', 36).nullable().references('id').inTable('connections').onDelete('SET NULL');
    t.string('external_id', 512).nullable();
    t.string('display_name', 512).notNullable();
    t.string('display_name_lower', 512).notNullable();
    t.jsonb('extensions').nullable();
    t.integer('version').notNullable().defaultTo(1);
    timestamps(t);
    t.unique(['connection_id', 'external_id']);
    t.index(['org_id', 'connection_id', 'display_name_lower']);
    t.index(['org_id', 'created_at']);
  });

  // Membership is a relation, indexed both ways: a group can have 100,000 members.
  await knex.schema.createTable('group_memberships', (t) => {
    orgOwned(t);
    t.string('group_id', 36).notNullable().references('id').inTable('directory_groups').onDelete('CASCADE');
    t.string('user_id', 36).notNullable().references('id').inTable('directory_users').onDelete('CASCADE');
    t.timestamp('created_at', TZ).notNullable();
    t.primary(['group_id', 'user_id']);
    t.index(['user_id', 'group_id']);
  });

  await knex.schema.createTable('teams', (t) => {
    t.string('id', 36).primary();
    orgOwned(t);
    t.string('name', 200).notNullable();
    t.string('name_lower', 200).notNullable();
    t.text('description').nullable();
    t.integer('version').notNullable().defaultTo(1);
    timestamps(t);
    t.unique(['org_id', 'name_lower']);
  });

  await knex.schema.createTable('team_scopes', (t) => {
    orgOwned(t);
    t.string('team_id', 36).notNullable().references('id').inTable('teams').onDelete('CASCADE');
    t.string('scope', 128).notNullable(); // resource:action, or resource:*
    t.primary(['team_id', 'scope']);
  });

  await knex.schema.createTable('team_device_groups', (t) => {
    orgOwned(t);
    t.string('team_id', 36).notNullable().references('id').inTable('teams').onDelete('CASCADE');
    t.string('device_group', 200).notNullable();
    t.primary(['team_id', 'device_group']);
    t.index(['org_id', 'device_group']);
  });

  // source: 'idp' rows are derived from mappings and recomputed; 'manual' rows an admin added.
  await knex.schema.createTable('team_memberships', (t) => {
    orgOwned(t);
    t.string('team_id', 36).notNullable().references('id').inTable('teams').onDelete('CASCADE');
    t.string('user_id', 36).notNullable().references('id').inTable('directory_users').onDelete('CASCADE');
    t.string('source', 8).notNullable();
    t.timestamp('created_at', TZ).notNullable();
    t.primary(['team_id', 'user_id', 'source']);
    t.index(['user_id', 'team_id']);
  });

  // "IdP group G of connection C -> org membership, role R, teams T1..Tn".
  await knex.schema.createTable('group_mappings', (t) => {
    t.string('id', 36).primary();
    orgOwned(t);
    t.string('connection_id', 36).notNullable().references('id').inTable('connections').onDelete('CASCADE');
    t.string('match_by', 16).notNullable(); // id | external_id | display_name
    t.string('match_value', 512).notNullable();
    t.boolean('grants_membership').notNullable().defaultTo(true);
    t.string('role', 16).nullable(); // Owner | Admin | User
    t.integer('version').notNullable().defaultTo(1);
    timestamps(t);
    t.unique(['connection_id', 'match_by', 'match_value']);
    t.index(['org_id']);
  });

  await knex.schema.createTable('group_mapping_teams', (t) => {
    orgOwned(t);
    t.string('mapping_id', 36).notNullable().references('id').inTable('group_mappings').onDelete('CASCADE');
    t.string('team_id', 36).notNullable().references('id').inTable('teams').onDelete('CASCADE');
    t.primary(['mapping_id', 'team_id']);
    t.index(['team_id']);
  });

  await knex.schema.createTable('org_policies', (t) => {
    t.string('org_id', 36).primary().references('id').inTable('organizations').onDelete('CASCADE');
    t.string('membership', 16).notNullable().defaultTo('mapped'); // mapped | all_provisioned
    t.jsonb('scope_catalog').nullable(); // extra resources/actions beyond the defaults
    t.jsonb('default_user_scopes').nullable(); // null: every scope
    t.jsonb('allowed_scopes').nullable(); // null: no bound
    t.jsonb('denied_scopes').nullable();
    t.integer('version').notNullable().defaultTo(1);
    t.timestamp('updated_at', TZ).notNullable();
  });

  await knex.schema.createTable('sessions', (t) => {
    t.string('id_hash', 64).primary(); // SHA-256 of the cookie value
    orgOwned(t);
    t.string('user_id', 36).notNullable().references('id').inTable('directory_users').onDelete('CASCADE');
    t.string('connection_id', 36).nullable().references('id').inTable('connections').onDelete('CASCADE');
    t.string('protocol', 16).notNullable(); // saml | oidc | setup-link
    t.jsonb('data').nullable(); // e.g. SAML NameID and SessionIndex for single logout
    t.timestamp('created_at', TZ).notNullable();
    t.timestamp('last_seen_at', TZ).notNullable();
    t.timestamp('expires_at', TZ).notNullable();
    t.timestamp('revoked_at', TZ).nullable();
    t.index(['user_id']);
    t.index(['expires_at']);
  });

  // Outstanding SP-initiated requests (SAML AuthnRequest ids, OIDC state/nonce/PKCE verifier).
  await knex.schema.createTable('sso_requests', (t) => {
    t.string('id', 128).primary();
    orgOwned(t);
    t.string('connection_id', 36).notNullable().references('id').inTable('connections').onDelete('CASCADE');
    t.string('protocol', 8).notNullable();
    t.jsonb('data').nullable();
    t.timestamp('created_at', TZ).notNullable();
    t.timestamp('expires_at', TZ).notNullable();
    t.index(['expires_at']);
  });

  // Assertion ids already consumed, so a captured SAML response cannot be replayed.
  await knex.schema.createTable('saml_replay_cache', (t) => {
    t.string('connection_id', 36).notNullable().references('id').inTable('connections').onDelete('CASCADE');
    t.string('assertion_id', 256).notNullable();
    orgOwned(t);
    t.timestamp('expires_at', TZ).notNullable();
    t.primary(['connection_id', 'assertion_id']);
    t.index(['expires_at']);
  });

  // Instance-wide: keys that sign access tokens (published at /.well-known/jwks.json).
  await knex.schema.createTable('signing_keys', (t) => {
    t.string('kid', 64).primary();
    t.string('alg', 16).notNullable();
    t.jsonb('public_jwk').notNullable();
    t.text('private_jwk_encrypted').notNullable();
    t.timestamp('created_at', TZ).notNullable();
    t.timestamp('retired_at', TZ).nullable();
  });

  // Instance-wide generated key material (e.g. the session secret when SESSION_SECRET is unset).
  await knex.schema.createTable('instance_secrets', (t) => {
    t.string('name', 64).primary();
    t.text('value').notNullable();
    t.timestamp('created_at', TZ).notNullable();
  });

  await knex.schema.createTable('audit_events', (t) => {
    t.string('id', 36).primary();
    orgOwned(t);
    t.timestamp('occurred_at', TZ).notNullable();
    t.string('actor_type', 16).notNullable(); // scim | admin | user | system | cli
    t.string('actor_id', 64).nullable();
    t.string('actor_label', 512).nullable();
    t.string('action', 64).notNullable(); // e.g. user.created, mapping.updated
    t.string('target_type', 32).nullable();
    t.string('target_id', 64).nullable();
    t.string('target_label', 512).nullable();
    t.string('request_id', 128).nullable();
    t.jsonb('data').nullable();
    t.index(['org_id', 'occurred_at']);
    t.index(['org_id', 'action', 'occurred_at']);
    t.index(['org_id', 'target_id']);
    t.index(['org_id', 'actor_id']);
  });
}

const TABLES_IN_CREATION_ORDER = [
  'organizations',
  'connections',
  'connection_domains',
  'scim_tokens',
  'admin_tokens',
  'directory_users',
  'directory_user_values',
  'directory_groups',
  'group_memberships',
  'teams',
  'team_scopes',
  'team_device_groups',
  'team_memberships',
  'group_mappings',
  'group_mapping_teams',
  'org_policies',
  'sessions',
  'sso_requests',
  'saml_replay_cache',
  'signing_keys',
  'instance_secrets',
  'audit_events',
] as const;

export async function down(knex: Knex): Promise<void> {
  for (const table of [...TABLES_IN_CREATION_ORDER].reverse()) {
    await knex.schema.dropTableIfExists(table);
  }
}

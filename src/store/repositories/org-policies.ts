/** The org policy: membership mode, scope catalog extensions, default and bounding grants. */
import type { Knex } from 'knex';
import type { OrgPolicy } from '../../domain/org-policy.js';
import { fromJson, toIso, toJson } from '../rows.js';

type Row = Record<string, unknown>;

export class OrgPolicyRepository {
  constructor(private readonly db: Knex) {}

  async get(orgId: string): Promise<OrgPolicy | undefined> {
    const row = await this.db<Row>('org_policies').where({ org_id: orgId }).first();
    if (!row) return undefined;
    return {
      orgId,
      membership: row.membership as OrgPolicy['membership'],
      scopeCatalog: fromJson(row.scope_catalog),
      defaultUserScopes: fromJson(row.default_user_scopes),
      allowedScopes: fromJson(row.allowed_scopes),
      deniedScopes: fromJson(row.denied_scopes),
      version: Number(row.version),
      updatedAt: toIso(row.updated_at),
    };
  }

  async upsert(policy: OrgPolicy): Promise<void> {
    const values = {
      membership: policy.membership,
      scope_catalog: toJson(policy.scopeCatalog),
      default_user_scopes: toJson(policy.defaultUserScopes),
      allowed_scopes: toJson(policy.allowedScopes),
      denied_scopes: toJson(policy.deniedScopes),
      version: policy.version,
      updated_at: policy.updatedAt,
    };
    await this.db('org_policies')
      .insert({ org_id: policy.orgId, ...values })
      .onConflict('org_id')
      .merge(values);
  }
}

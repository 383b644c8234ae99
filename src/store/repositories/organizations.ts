import type { Knex } from 'knex';
import type { Organization } from '../../domain/organization.js';
import { ConflictError } from '../../domain/errors/index.js';
import { isUniqueViolation, toIso } from '../rows.js';

interface OrgRow {
  id: string;
  slug: string;
  name: string;
  created_at: unknown;
  updated_at: unknown;
}

function toOrganization(row: OrgRow): Organization {
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
  };
}

/** The tenants themselves. Lookups by id or slug resolve an operator's ORG argument. */
export class OrganizationRepository {
  constructor(private readonly db: Knex) {}

  /** A new organization; a slug taken meanwhile (by a concurrent create) is a ConflictError. */
  async insert(org: Organization): Promise<void> {
    try {
      await this.db('organizations').insert({
        id: org.id,
        slug: org.slug,
        name: org.name,
        created_at: org.createdAt,
        updated_at: org.updatedAt,
        // A new org has no users: its access history starts complete.
        access_history_since: org.createdAt,
      });
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new ConflictError('org.slug_taken', `The slug ${JSON.stringify(org.slug)} was just taken; try again`);
      }
      throw error;
    }
  }

  async findById(orgId: string): Promise<Organization | undefined> {
    const row = await this.db<OrgRow>('organizations').where({ id: orgId }).first();
    return row ? toOrganization(row) : undefined;
  }

  async findByIdOrSlug(idOrSlug: string): Promise<Organization | undefined> {
    const row = await this.db<OrgRow>('organizations')
      .where({ id: idOrSlug })
      .orWhere({ slug: idOrSlug.toLowerCase() })
      .first();
    return row ? toOrganization(row) : undefined;
  }

  async slugsStartingWith(base: string): Promise<string[]> {
    const rows = await this.db<OrgRow>('organizations')
      .where('slug', base)
      .orWhere('slug', 'like', `${base}-%`)
      .select('slug');
    return rows.map((r) => r.slug);
  }

  async list(): Promise<Organization[]> {
    const rows = await this.db<OrgRow>('organizations').orderBy('created_at').orderBy('id');
    return rows.map(toOrganization);
  }

  async count(): Promise<number> {
    const row = await this.db('organizations').count<{ n: number | string }[]>({ n: '*' });
    return Number(row[0]?.n ?? 0);
  }
}

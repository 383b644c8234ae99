/** Creating and finding organizations (the tenants). */
import { randomUUID } from 'node:crypto';
import { recordAudit } from '../audit/audit-log.js';
import type { Actor } from '../domain/actor.js';
import { InvalidInputError, NotFoundError } from '../domain/errors/index.js';
import { slugify, type Organization } from '../domain/organization.js';
import { nowIso } from '../domain/clock.js';
import type { Store } from '../store/store.js';

export class OrganizationService {
  constructor(private readonly store: Store) {}

  async create(rawName: string, actor: Actor): Promise<Organization> {
    const name = rawName.trim();
    if (name.length === 0 || name.length > 200) {
      throw new InvalidInputError('org.invalid_name', 'The organization name must be 1 to 200 characters');
    }
    return this.store.transaction(async (repos) => {
      const base = slugify(name);
      const taken = new Set(await repos.organizations.slugsStartingWith(base));
      let slug = base;
      for (let n = 2; taken.has(slug); n++) slug = `${base}-${n}`;
      const at = nowIso();
      const org: Organization = { id: randomUUID(), slug, name, createdAt: at, updatedAt: at };
      // Another organization may take the same slug at the same moment: a ConflictError.
      await repos.organizations.insert(org);
      await repos.policies.upsert({
        orgId: org.id,
        membership: 'mapped',
        scopeCatalog: null,
        defaultUserScopes: null,
        allowedScopes: null,
        deniedScopes: null,
        version: 1,
        updatedAt: at,
      });
      await recordAudit(repos, org.id, actor, {
        action: 'org.created',
        target: { type: 'org', id: org.id, label: org.name },
        data: { slug },
      });
      return org;
    });
  }

  /** An ORG argument: an id or a slug. */
  async resolve(idOrSlug: string): Promise<Organization> {
    const org = await this.store.repos.organizations.findByIdOrSlug(idOrSlug.trim());
    if (!org) throw new NotFoundError('org', idOrSlug);
    return org;
  }

  async get(orgId: string): Promise<Organization> {
    const org = await this.store.repos.organizations.findById(orgId);
    if (!org) throw new NotFoundError('org', orgId);
    return org;
  }

  /** True before the first organization is created (a first start). */
  async none(): Promise<boolean> {
    return (await this.store.repos.organizations.count()) === 0;
  }

  list(): Promise<Organization[]> {
    return this.store.repos.organizations.list();
  }
}

/** Reading an org's audit log: newest first, filtered by action, actor, target, person and time. */
import type { AuditEvent, AuditQuery } from '../store/repositories/audit-events.js';
import type { Store } from '../store/store.js';

export type AuditFilter = Omit<AuditQuery, 'user'> & {
  /** One person's events, by userName (case-insensitive) or id; a userName no longer in the directory still finds what named it. */
  readonly user?: string;
};

export class AuditTrail {
  constructor(private readonly store: Store) {}

  async list(orgId: string, filter: AuditFilter): Promise<AuditEvent[]> {
    const { user, ...query } = filter;
    if (user === undefined) return this.store.repos.audit.list(orgId, query);
    const users = this.store.repos.users;
    const found = (await users.findByUserName(orgId, user)) ?? (await users.get(orgId, user));
    return this.store.repos.audit.list(orgId, {
      ...query,
      user: found ? { id: found.id, userName: found.userName } : { id: null, userName: user },
    });
  }
}

/** Reading an org's audit log: newest first, filtered by action, actor, target and time. */
import type { AuditEvent, AuditQuery } from '../store/repositories/audit-events.js';
import type { Store } from '../store/store.js';

export class AuditTrail {
  constructor(private readonly store: Store) {}

  list(orgId: string, query: AuditQuery): Promise<AuditEvent[]> {
    return this.store.repos.audit.list(orgId, query);
  }
}

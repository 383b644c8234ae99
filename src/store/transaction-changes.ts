/**
 * What one transaction changed that is recorded again just before it commits: the users
 * whose effective access may have moved (access history), and the audit events it wrote
 * (the typed events of the outbox are made from them). Collected by the repositories of
 * the transaction; recorded by the hook the services install (`Store.beforeCommit`), so
 * history and events commit or roll back with the change that made them.
 */
import type { AuditEvent } from './repositories/audit-events.js';

export interface TouchedOrg {
  /** Every user of the org (its teams, mappings or policy changed). */
  all: boolean;
  readonly users: Set<string>;
  /** The org's access configuration changed in this transaction (do not reuse a cached copy). */
  configChanged: boolean;
  /**
   * Users deactivated in this transaction (id → userName): their access is the inactive
   * state whatever their groups, teams and the org's configuration, so recording it reads
   * none of those. One also in `users` (or with `all`) is recorded from its facts instead.
   */
  readonly deactivated: Map<string, string>;
}

/** A membership change, for the `group.members_added` / `group.members_removed` events. */
export interface MembershipChange {
  readonly orgId: string;
  readonly groupId: string;
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly names?: ReadonlyMap<string, string>;
}

export class TransactionChanges {
  readonly touched = new Map<string, TouchedOrg>();
  readonly audit: AuditEvent[] = [];
  /** Audit events not written yet: written with the transaction's outbox events, in one statement (PostgreSQL). */
  readonly unwrittenAudit: AuditEvent[] = [];
  readonly memberships: MembershipChange[] = [];

  get empty(): boolean {
    return this.touched.size === 0 && this.audit.length === 0 && this.memberships.length === 0;
  }

  membersChanged(change: MembershipChange): void {
    this.memberships.push(change);
  }

  /** These users' access may have changed (null: anyone's in the org). */
  touch(orgId: string, userIds: readonly string[] | null): void {
    const org = this.orgOf(orgId);
    if (userIds === null) org.all = true;
    else if (!org.all) for (const id of userIds) org.users.add(id);
  }

  /** This user was deactivated: their access is now the inactive state. */
  deactivated(orgId: string, user: { readonly id: string; readonly userName: string }): void {
    this.orgOf(orgId).deactivated.set(user.id, user.userName);
  }

  configChanged(orgId: string): void {
    const org = this.orgOf(orgId);
    org.all = true;
    org.configChanged = true;
  }

  audited(events: readonly AuditEvent[]): void {
    for (const e of events) this.audit.push(e);
  }

  private orgOf(orgId: string): TouchedOrg {
    let org = this.touched.get(orgId);
    if (!org) {
      org = { all: false, users: new Set(), configChanged: false, deactivated: new Map() };
      this.touched.set(orgId, org);
    }
    return org;
  }
}

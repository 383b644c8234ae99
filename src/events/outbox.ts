/**
 * What a transaction adds to the event outbox before it commits: the typed events of its
 * audit events, its membership changes (every user named, a thousand per event), and the
 * `access.changed` events of its access history, in that order.
 */
import type { Repositories } from '../store/store.js';
import type { TransactionChanges } from '../store/transaction-changes.js';
import { actorOf, eventOfAudit, outboxEvent, type OutboxEvent } from './event-catalog.js';

/** Users named per membership event. */
const MEMBERS_PER_EVENT = 1000;

export async function outboxEventsOf(repos: Repositories, changes: TransactionChanges): Promise<OutboxEvent[]> {
  const events: OutboxEvent[] = [];
  for (const audit of changes.audit) {
    const event = eventOfAudit(audit);
    if (event) events.push(event);
  }
  for (const m of changes.memberships) {
    const audit = [...changes.audit]
      .reverse()
      .find((e) => e.targetId === m.groupId && (e.action === 'group.members_changed' || e.action === 'group.created'));
    const groupName = audit?.targetLabel ?? (await repos.groups.get(m.orgId, m.groupId))?.displayName ?? null;
    const at = audit?.occurredAt ?? new Date().toISOString();
    const actor = audit ? actorOf(audit) : null;
    const group = { id: m.groupId, displayName: groupName };
    for (const [type, ids] of [
      ['group.members_added', m.added],
      ['group.members_removed', m.removed],
    ] as const) {
      for (let i = 0; i < ids.length; i += MEMBERS_PER_EVENT) {
        const part = ids.slice(i, i + MEMBERS_PER_EVENT);
        const unknown = part.filter((id) => !m.names?.has(id));
        const looked = unknown.length ? await repos.users.userNamesOf(m.orgId, unknown) : new Map<string, string>();
        const users = part.map((id) => ({ id, userName: m.names?.get(id) ?? looked.get(id) ?? null }));
        events.push(outboxEvent(m.orgId, type, at, null, { group, users, count: ids.length, actor }));
      }
    }
  }
  return events;
}

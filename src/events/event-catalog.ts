/**
 * The typed events of the outbox, and how each is made from the audit events a
 * transaction wrote (so every write that is audited is also an event, in the same
 * transaction). Membership and access events are made from the transaction's changes
 * themselves (they name every user, where an audit event names the first few).
 */
import { randomUUID } from 'node:crypto';
import type { AuditEvent } from '../store/repositories/audit-events.js';

export const EVENT_TYPES = [
  'user.created',
  'user.updated',
  'user.deactivated',
  'user.reactivated',
  'user.deleted',
  'group.created',
  'group.updated',
  'group.deleted',
  'group.members_added',
  'group.members_removed',
  'access.changed',
  'session.revoked',
  'connection.created',
  'connection.updated',
  'token.revoked',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

export interface OutboxEvent {
  readonly id: string;
  readonly orgId: string;
  readonly type: EventType;
  readonly occurredAt: string;
  /** The user the event is about: events of one user reach an endpoint in order. */
  readonly subjectUserId: string | null;
  readonly data: Readonly<Record<string, unknown>>;
}

export const newEventId = (): string => `evt_${randomUUID().replaceAll('-', '')}`;

export function outboxEvent(
  orgId: string,
  type: EventType,
  occurredAt: string,
  subjectUserId: string | null,
  data: Record<string, unknown>,
): OutboxEvent {
  return { id: newEventId(), orgId, type, occurredAt, subjectUserId, data };
}

/** Who made a change, as events tell it. */
export function actorOf(e: AuditEvent): Record<string, unknown> {
  return { type: e.actorType, id: e.actorId, label: e.actorLabel, requestId: e.requestId };
}

const USER_ACTIONS: Record<string, EventType> = {
  'user.created': 'user.created',
  'user.updated': 'user.updated',
  'user.deactivated': 'user.deactivated',
  'user.reactivated': 'user.reactivated',
  'user.deleted': 'user.deleted',
};

const GROUP_ACTIONS: Record<string, EventType> = {
  'group.created': 'group.created',
  'group.renamed': 'group.updated',
  'group.updated': 'group.updated',
  'group.deleted': 'group.deleted',
};

const TOKEN_REVOCATIONS = new Set(['scim_token.revoked', 'admin_token.revoked', 'api_token.revoked']);

/** The typed event an audit event stands for, if any. */
export function eventOfAudit(e: AuditEvent): OutboxEvent | undefined {
  const data = e.data ?? {};
  const actor = actorOf(e);
  const userType = USER_ACTIONS[e.action];
  if (userType && e.targetId) {
    const { before, after, version: _version, ...rest } = data as Record<string, unknown>;
    const user = { id: e.targetId, userName: e.targetLabel, ...rest };
    const changed = after && typeof after === 'object' ? { changed: Object.keys(after), before, after } : {};
    return outboxEvent(e.orgId, userType, e.occurredAt, e.targetId, { user, ...changed, actor });
  }
  const groupType = GROUP_ACTIONS[e.action];
  if (groupType && e.targetId) {
    const group = { id: e.targetId, displayName: e.targetLabel, connectionId: data.connectionId ?? null };
    const renamed = e.action === 'group.renamed' ? { previousDisplayName: data.from } : {};
    return outboxEvent(e.orgId, groupType, e.occurredAt, null, { group, ...renamed, actor });
  }
  if (e.action === 'sessions.revoked' && e.targetId) {
    const user = { id: e.targetId, userName: e.targetLabel };
    return outboxEvent(e.orgId, 'session.revoked', e.occurredAt, e.targetId, { user, ...data, actor });
  }
  if (e.action === 'connection.created' && e.targetId) {
    const connection = { id: e.targetId, name: e.targetLabel };
    return outboxEvent(e.orgId, 'connection.created', e.occurredAt, null, { connection, ...data, actor });
  }
  if (e.action.startsWith('connection.') && e.targetId) {
    const connection = { id: e.targetId, name: e.targetLabel };
    const change = e.action.slice('connection.'.length);
    return outboxEvent(e.orgId, 'connection.updated', e.occurredAt, null, { connection, change, ...data, actor });
  }
  if (TOKEN_REVOCATIONS.has(e.action) && e.targetId) {
    const kind = e.action.slice(0, e.action.indexOf('_token'));
    const token = { id: e.targetId, kind, prefix: e.targetLabel };
    return outboxEvent(e.orgId, 'token.revoked', e.occurredAt, null, { token, ...data, actor });
  }
  return undefined;
}

/** The audit log: append-only, written in the same transaction as the change it records. */
import type { Knex } from 'knex';
import { dialectOf } from '../database.js';
import { fromJson, toIso, toJson } from '../rows.js';
import { prepared } from '../prepared-statements.js';

import type { ActorType } from '../../domain/actor.js';
import type { TransactionChanges } from '../transaction-changes.js';

export interface AuditEvent {
  readonly id: string;
  readonly orgId: string;
  readonly occurredAt: string;
  readonly actorType: ActorType;
  readonly actorId: string | null;
  readonly actorLabel: string | null;
  readonly action: string;
  readonly targetType: string | null;
  readonly targetId: string | null;
  readonly targetLabel: string | null;
  readonly requestId: string | null;
  readonly data: Readonly<Record<string, unknown>> | null;
  /** Kept in memory only (access history tells it): the request in words and the actor's connection. */
  readonly via?: { readonly operation?: string; readonly connectionId?: string };
}

export interface AuditQuery {
  readonly action?: string;
  readonly actorId?: string;
  /** An actor's id or label (e.g. a userName). */
  readonly actor?: string;
  readonly targetId?: string;
  /**
   * Events about one person: they are the target or the actor, or a membership change names
   * them (by userName; such an event names the first 20 of each side).
   */
  readonly user?: { readonly id: string | null; readonly userName: string };
  /** Events older than this (occurredAt, id) position: the next page. */
  readonly before?: { readonly at: string; readonly id: string };
  readonly since?: string;
  readonly until?: string;
  readonly limit: number;
}

type Row = Record<string, unknown>;

export class AuditEventRepository {
  constructor(
    private readonly db: Knex,
    /** The transaction's changes, told of every event appended (the outbox is made from them). */
    private readonly changes?: TransactionChanges,
  ) {}

  /**
   * Inside a transaction on PostgreSQL the event is written when the transaction ends, in
   * the statement that writes its outbox events (one round trip for both; Store.transaction).
   */
  async append(e: AuditEvent): Promise<void> {
    if (this.changes && dialectOf(this.db) === 'pg') this.changes.unwrittenAudit.push(e);
    else await prepared(this.db, this.insertQuery(e));
    this.changes?.audited([e]);
  }

  /** Several events, in as few statements as the database allows. */
  async appendMany(events: readonly AuditEvent[]): Promise<void> {
    this.changes?.audited(events);
    for (let i = 0; i < events.length; i += 500) {
      const part = events.slice(i, i + 500);
      if (part.length) await this.db('audit_events').insert(part.map((e) => this.row(e)));
    }
  }

  /** The INSERT of these events (also run as part of a larger statement). */
  insertQuery(e: AuditEvent | readonly AuditEvent[]): Knex.QueryBuilder {
    return this.db('audit_events').insert(Array.isArray(e) ? e.map((x) => this.row(x)) : this.row(e as AuditEvent));
  }

  /** The audit_events row of an event. */
  row(e: AuditEvent): Record<string, unknown> {
    return {
      id: e.id,
      org_id: e.orgId,
      occurred_at: e.occurredAt,
      actor_type: e.actorType,
      actor_id: e.actorId,
      actor_label: e.actorLabel,
      action: e.action,
      target_type: e.targetType,
      target_id: e.targetId,
      target_label: e.targetLabel,
      request_id: e.requestId,
      data: toJson(e.data),
    };
  }

  /** Newest first. */
  async list(orgId: string, q: AuditQuery): Promise<AuditEvent[]> {
    const query = this.db<Row>('audit_events').where({ org_id: orgId });
    if (q.action) {
      // Words, each a part of the action's name: "token revoked" finds scim_token.revoked and
      // api_token.revoked, "mapping" every mapping event; an exact name still finds itself.
      for (const word of q.action.toLowerCase().split(/\s+/).filter(Boolean)) {
        query.andWhereRaw("LOWER(action) LIKE ? ESCAPE '\\'", [`%${likeEscaped(word)}%`]);
      }
    }
    if (q.actorId) query.andWhere('actor_id', q.actorId);
    if (q.targetId) query.andWhere('target_id', q.targetId);
    if (q.actor) {
      const actor = q.actor;
      // An id, or a part of the label ("dana", "connection <id>" within "SCIM token of connection <id>").
      query.andWhere((w) =>
        w
          .where('actor_id', actor)
          .orWhereRaw("LOWER(actor_label) LIKE ? ESCAPE '\\'", [`%${likeEscaped(actor.toLowerCase())}%`]),
      );
    }
    if (q.user) {
      const { id, userName } = q.user;
      // A JSON string of the userName inside the event's data (jsonb has no "array contains"
      // that SQLite shares; the org and the time order bound the scan).
      const named = `%${likeEscaped(JSON.stringify(userName))}%`;
      const dataText = dialectOf(this.db) === 'pg' ? 'data::text' : 'data';
      query.andWhere((w) => {
        if (id) w.where('target_id', id).orWhere('actor_id', id);
        w.orWhere('actor_label', userName).orWhere((x) =>
          x
            .whereIn('action', ['group.members_changed', 'group.created'])
            .andWhereRaw(`${dataText} LIKE ? ESCAPE '\\'`, [named]),
        );
      });
    }
    if (q.before) {
      const { at, id } = q.before;
      // A row-value comparison: one index range on both databases (see listing.ts).
      query.andWhereRaw('(occurred_at, id) < (?, ?)', [at, id]);
    }
    if (q.since) query.andWhere('occurred_at', '>=', q.since);
    if (q.until) query.andWhere('occurred_at', '<', q.until);
    const rows = await query
      .orderBy([
        { column: 'occurred_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(q.limit);
    return rows.map((r) => ({
      id: r.id as string,
      orgId: r.org_id as string,
      occurredAt: toIso(r.occurred_at),
      actorType: r.actor_type as ActorType,
      actorId: (r.actor_id as string | null) ?? null,
      actorLabel: (r.actor_label as string | null) ?? null,
      action: r.action as string,
      targetType: (r.target_type as string | null) ?? null,
      targetId: (r.target_id as string | null) ?? null,
      targetLabel: (r.target_label as string | null) ?? null,
      requestId: (r.request_id as string | null) ?? null,
      data: fromJson(r.data),
    }));
  }
}

/** A text matched literally inside a LIKE pattern (with ESCAPE '\\'). */
function likeEscaped(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

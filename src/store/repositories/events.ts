/**
 * The event outbox: written in the transaction that makes the change, read in commit-safe
 * order. On PostgreSQL an event's position is (txid, seq): the id of the transaction that
 * wrote it, then its row number. A reader only returns events of transactions older than
 * the oldest one still running (`pg_snapshot_xmin`), so an event committed late can never
 * land behind a position a reader has passed. On SQLite (one writer at a time) the row
 * number alone is that order.
 */
import type { Knex } from 'knex';
import type { EventType, OutboxEvent } from '../../events/event-catalog.js';
import { bulkInsert } from '../bulk-insert.js';
import { dialectOf } from '../database.js';
import { fromJson, toIso } from '../rows.js';

type Row = Record<string, unknown>;

export interface EventPosition {
  readonly txid: string;
  readonly seq: string;
}

export interface StoredEvent extends OutboxEvent {
  readonly position: EventPosition;
}

export const START: EventPosition = { txid: '0', seq: '0' };

const EVENT_COLUMNS = {
  id: 'text',
  org_id: 'text',
  type: 'text',
  occurred_at: 'timestamptz',
  subject_user_id: 'text',
  data: 'json',
} as const;

/** Rows per INSERT: well under SQLite's bound-variable limit (32,766). */
const BATCH = 1000;

export class EventRepository {
  constructor(private readonly db: Knex) {}

  private rowOf(e: OutboxEvent): Row {
    return {
      id: e.id,
      org_id: e.orgId,
      type: e.type,
      occurred_at: e.occurredAt,
      subject_user_id: e.subjectUserId,
      data: JSON.stringify(e.data),
    };
  }

  async insertMany(events: readonly OutboxEvent[]): Promise<void> {
    if (events.length === 1) await this.db('events').insert(this.rowOf(events[0]!));
    else
      await bulkInsert(
        this.db,
        'events',
        EVENT_COLUMNS,
        events.map((e) => ({ ...this.rowOf(e), data: e.data })),
      );
  }

  /** The INSERT of these events (run as part of a larger statement). */
  insertQuery(events: readonly OutboxEvent[]): Knex.QueryBuilder {
    return this.db('events').insert(events.map((e) => this.rowOf(e)));
  }

  /**
   * The org's events after `after`, oldest first, only of transactions that can no longer
   * be overtaken (see the module comment); `types` narrows them.
   */
  async after(
    orgId: string,
    after: EventPosition,
    limit: number,
    types?: readonly EventType[],
  ): Promise<StoredEvent[]> {
    const pg = dialectOf(this.db) === 'pg';
    const query = this.db<Row>('events').where('org_id', orgId);
    if (pg) {
      query
        .andWhereRaw('(txid, seq) > (?::bigint, ?::bigint)', [after.txid, after.seq])
        .andWhereRaw('txid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint')
        .orderBy([{ column: 'txid' }, { column: 'seq' }]);
    } else {
      query.andWhere('seq', '>', Number(after.seq)).orderBy('seq');
    }
    if (types?.length) query.whereIn('type', types);
    const rows = await query.limit(limit).select('*');
    return rows.map((r) => this.eventOf(r));
  }

  /** The newest position of the org (a consumer starting now), in the same order. */
  async latest(orgId: string): Promise<EventPosition> {
    const pg = dialectOf(this.db) === 'pg';
    const query = this.db<Row>('events').where('org_id', orgId);
    if (pg) {
      query.andWhereRaw('txid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint').orderBy([
        { column: 'txid', order: 'desc' },
        { column: 'seq', order: 'desc' },
      ]);
    } else query.orderBy('seq', 'desc');
    const row = await query.first('txid', 'seq');
    return row ? { txid: String(row.txid), seq: String(row.seq) } : START;
  }

  /** Events by their row number (seq → event). */
  async bySeqs(seqs: readonly string[]): Promise<Map<string, StoredEvent>> {
    const out = new Map<string, StoredEvent>();
    for (let i = 0; i < seqs.length; i += BATCH) {
      const rows = await this.db<Row>('events').whereIn('seq', seqs.slice(i, i + BATCH));
      for (const r of rows) out.set(String(r.seq), this.eventOf(r));
    }
    return out;
  }

  /**
   * Removes events older than `before` (retention), the oldest `limit` at a time; returns how
   * many. Events are written in time order, so the oldest by row number are the oldest by
   * time: the walk stops at the first one still kept (no index on the time needed).
   */
  async pruneBefore(before: string, limit: number): Promise<number> {
    const oldest = await this.db<Row>('events').orderBy('seq').limit(limit).select('seq', 'occurred_at');
    const expired = oldest.filter((r) => toIso(r.occurred_at) < before).map((r) => r.seq as string | number);
    if (expired.length === 0) return 0;
    return this.db('events').whereIn('seq', expired).delete();
  }

  /** An event from its row (as read here, or joined by another repository). */
  eventOf(r: Row): StoredEvent {
    return {
      id: r.id as string,
      orgId: r.org_id as string,
      type: r.type as EventType,
      occurredAt: toIso(r.occurred_at),
      subjectUserId: (r.subject_user_id as string | null) ?? null,
      data: fromJson<Record<string, unknown>>(r.data) ?? {},
      position: { txid: String(r.txid), seq: String(r.seq) },
    };
  }
}

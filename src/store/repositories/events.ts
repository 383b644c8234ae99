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

const BATCH = 400;

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
    for (let i = 0; i < events.length; i += BATCH) {
      await this.db('events').insert(events.slice(i, i + BATCH).map((e) => this.rowOf(e)));
    }
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

  async byIds(ids: readonly string[]): Promise<Map<string, StoredEvent>> {
    const out = new Map<string, StoredEvent>();
    for (let i = 0; i < ids.length; i += BATCH) {
      const rows = await this.db<Row>('events').whereIn('id', ids.slice(i, i + BATCH));
      for (const r of rows) out.set(r.id as string, this.eventOf(r));
    }
    return out;
  }

  /** Removes events older than `before` (retention), a batch at a time; returns how many. */
  async pruneBefore(before: string, limit: number): Promise<number> {
    const seqs = this.db('events').where('occurred_at', '<', before).select('seq').limit(limit);
    return this.db('events').whereIn('seq', seqs).delete();
  }

  private eventOf(r: Row): StoredEvent {
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

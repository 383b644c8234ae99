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

/** The events row of an outbox event (its data as text, as the column holds it). */
export function eventRow(e: OutboxEvent): Row {
  return {
    id: e.id,
    org_id: e.orgId,
    type: e.type,
    occurred_at: e.occurredAt,
    subject_user_id: e.subjectUserId,
    data: JSON.stringify(e.data),
  };
}

export class EventRepository {
  constructor(private readonly db: Knex) {}

  /** The events row of an outbox event. */
  rowOf(e: OutboxEvent): Row {
    return eventRow(e);
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

  /**
   * The position of the org's newest committed event: a consumer starting "from now". (Not
   * held back like `after`: an event of a transaction still running then is not "from now".)
   */
  async latest(orgId: string): Promise<EventPosition> {
    const pg = dialectOf(this.db) === 'pg';
    const query = this.db<Row>('events').where('org_id', orgId);
    if (pg) {
      query.orderBy([
        { column: 'txid', order: 'desc' },
        { column: 'seq', order: 'desc' },
      ]);
    } else query.orderBy('seq', 'desc');
    const row = await query.first('txid', 'seq');
    return row ? { txid: String(row.txid), seq: String(row.seq) } : START;
  }

  /** Whether any committed event of the org lies past `after` (held back from readers or not). */
  async anyAfter(orgId: string, after: EventPosition): Promise<boolean> {
    const query = this.db<Row>('events').where('org_id', orgId);
    if (dialectOf(this.db) === 'pg') query.andWhereRaw('(txid, seq) > (?::bigint, ?::bigint)', [after.txid, after.seq]);
    else query.andWhere('seq', '>', Number(after.seq));
    return (await query.first('seq')) !== undefined;
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

/**
 * Webhook endpoints and their deliveries. An endpoint reads the event outbox from its own
 * cursor; each event it takes becomes a delivery row. Deliveries are claimed with
 * `FOR UPDATE SKIP LOCKED` (any instance, none twice at once) and only when no earlier
 * delivery of the same endpoint and user is still pending: one user's events go out in order.
 * A claim expires (an instance killed mid-delivery): the delivery is claimed again.
 */
import type { Knex } from 'knex';
import type { EventType } from '../../events/event-catalog.js';
import { bulkInsert } from '../bulk-insert.js';
import { dialectOf } from '../database.js';
import type { EventPosition } from './events.js';
import { fromJson, toBool, toIso, toIsoOrNull } from '../rows.js';

type Row = Record<string, unknown>;

export type EndpointFormat = 'webhook' | 'set';

export interface WebhookEndpoint {
  readonly id: string;
  readonly orgId: string;
  readonly url: string;
  readonly format: EndpointFormat;
  /** Null: every type. */
  readonly eventTypes: readonly EventType[] | null;
  readonly secretSealed: string | null;
  readonly audience: string | null;
  readonly description: string | null;
  readonly enabled: boolean;
  readonly disabledReason: string | null;
  readonly disabledAt: string | null;
  readonly cursor: EventPosition;
  readonly failingSince: string | null;
  readonly lastSuccessAt: string | null;
  readonly createdAt: string;
}

export type DeliveryState = 'pending' | 'delivering' | 'delivered' | 'failed';

export interface WebhookDelivery {
  readonly id: string;
  readonly endpointId: string;
  readonly orgId: string;
  readonly eventSeq: string;
  readonly eventId: string;
  readonly eventType: EventType;
  readonly orderKey: string | null;
  readonly state: DeliveryState;
  readonly attempts: number;
  readonly nextAttemptAt: string;
  readonly lastStatus: number | null;
  readonly lastError: string | null;
  readonly lastDurationMs: number | null;
  readonly createdAt: string;
  readonly finishedAt: string | null;
}

export interface NewDelivery {
  readonly endpointId: string;
  readonly orgId: string;
  readonly eventSeq: string;
  readonly eventId: string;
  readonly eventType: EventType;
  readonly orderKey: string | null;
}

/** What one attempt came to. */
export type AttemptResult =
  | { readonly kind: 'delivered'; readonly status: number; readonly durationMs: number }
  | {
      readonly kind: 'retry';
      readonly status: number | null;
      readonly error: string;
      readonly durationMs: number;
      readonly nextAttemptAt: string;
    }
  | { readonly kind: 'failed'; readonly status: number | null; readonly error: string; readonly durationMs: number };

function endpointOf(r: Row): WebhookEndpoint {
  return {
    id: r.id as string,
    orgId: r.org_id as string,
    url: r.url as string,
    format: r.format as EndpointFormat,
    eventTypes: fromJson<EventType[]>(r.event_types),
    secretSealed: (r.secret_sealed as string | null) ?? null,
    audience: (r.audience as string | null) ?? null,
    description: (r.description as string | null) ?? null,
    enabled: toBool(r.enabled),
    disabledReason: (r.disabled_reason as string | null) ?? null,
    disabledAt: toIsoOrNull(r.disabled_at),
    cursor: { txid: String(r.cursor_txid), seq: String(r.cursor_seq) },
    failingSince: toIsoOrNull(r.failing_since),
    lastSuccessAt: toIsoOrNull(r.last_success_at),
    createdAt: toIso(r.created_at),
  };
}

function deliveryOf(r: Row): WebhookDelivery {
  return {
    id: String(r.id),
    endpointId: r.endpoint_id as string,
    orgId: r.org_id as string,
    eventSeq: String(r.event_seq),
    eventId: r.event_id as string,
    eventType: r.event_type as EventType,
    orderKey: (r.order_key as string | null) ?? null,
    state: r.state as DeliveryState,
    attempts: Number(r.attempts),
    nextAttemptAt: toIso(r.next_attempt_at),
    lastStatus: r.last_status === null || r.last_status === undefined ? null : Number(r.last_status),
    lastError: (r.last_error as string | null) ?? null,
    lastDurationMs: r.last_duration_ms === null || r.last_duration_ms === undefined ? null : Number(r.last_duration_ms),
    createdAt: toIso(r.created_at),
    finishedAt: toIsoOrNull(r.finished_at),
  };
}

const BATCH = 400;

const DELIVERY_COLUMNS = {
  endpoint_id: 'text',
  org_id: 'text',
  event_seq: 'bigint',
  event_id: 'text',
  event_type: 'text',
  order_key: 'text',
  state: 'text',
  attempts: 'integer',
  next_attempt_at: 'timestamptz',
  created_at: 'timestamptz',
} as const;

export class WebhookRepository {
  constructor(private readonly db: Knex) {}

  async insertEndpoint(e: WebhookEndpoint): Promise<void> {
    await this.db('webhook_endpoints').insert({
      id: e.id,
      org_id: e.orgId,
      url: e.url,
      format: e.format,
      event_types: e.eventTypes ? JSON.stringify(e.eventTypes) : null,
      secret_sealed: e.secretSealed,
      audience: e.audience,
      description: e.description,
      enabled: e.enabled,
      cursor_txid: e.cursor.txid,
      cursor_seq: e.cursor.seq,
      created_at: e.createdAt,
    });
  }

  async endpoint(orgId: string, id: string): Promise<WebhookEndpoint | undefined> {
    const row = await this.db<Row>('webhook_endpoints').where({ org_id: orgId, id }).first();
    return row ? endpointOf(row) : undefined;
  }

  async endpoints(orgId: string): Promise<WebhookEndpoint[]> {
    return (await this.db<Row>('webhook_endpoints').where({ org_id: orgId }).orderBy('created_at')).map(endpointOf);
  }

  /** Every enabled endpoint of every org (the delivery loop's work list). */
  async enabledEndpoints(): Promise<WebhookEndpoint[]> {
    return (await this.db<Row>('webhook_endpoints').where({ enabled: true })).map(endpointOf);
  }

  async updateEndpoint(
    orgId: string,
    id: string,
    change: Partial<{
      url: string;
      eventTypes: readonly EventType[] | null;
      description: string | null;
      audience: string | null;
      enabled: boolean;
      disabledReason: string | null;
      disabledAt: string | null;
      failingSince: string | null;
      secretSealed: string;
      cursor: EventPosition;
    }>,
  ): Promise<void> {
    const row: Row = {};
    if (change.url !== undefined) row.url = change.url;
    if (change.eventTypes !== undefined) row.event_types = change.eventTypes ? JSON.stringify(change.eventTypes) : null;
    if (change.description !== undefined) row.description = change.description;
    if (change.audience !== undefined) row.audience = change.audience;
    if (change.enabled !== undefined) row.enabled = change.enabled;
    if (change.disabledReason !== undefined) row.disabled_reason = change.disabledReason;
    if (change.disabledAt !== undefined) row.disabled_at = change.disabledAt;
    if (change.failingSince !== undefined) row.failing_since = change.failingSince;
    if (change.secretSealed !== undefined) row.secret_sealed = change.secretSealed;
    if (change.cursor !== undefined) {
      row.cursor_txid = change.cursor.txid;
      row.cursor_seq = change.cursor.seq;
    }
    if (Object.keys(row).length) await this.db('webhook_endpoints').where({ org_id: orgId, id }).update(row);
  }

  async deleteEndpoint(orgId: string, id: string): Promise<boolean> {
    return (await this.db('webhook_endpoints').where({ org_id: orgId, id }).delete()) > 0;
  }

  /**
   * Takes the endpoint for dispatching (its cursor) until the transaction ends; undefined
   * when another instance holds it or it was disabled meanwhile.
   */
  async lockForDispatch(id: string): Promise<WebhookEndpoint | undefined> {
    const query = this.db<Row>('webhook_endpoints').where({ id, enabled: true });
    if (dialectOf(this.db) === 'pg') query.forUpdate().skipLocked();
    const row = await query.first();
    return row ? endpointOf(row) : undefined;
  }

  async insertDeliveries(deliveries: readonly NewDelivery[], at: string): Promise<void> {
    await bulkInsert(
      this.db,
      'webhook_deliveries',
      DELIVERY_COLUMNS,
      deliveries.map((d) => ({
        endpoint_id: d.endpointId,
        org_id: d.orgId,
        event_seq: d.eventSeq,
        event_id: d.eventId,
        event_type: d.eventType,
        order_key: d.orderKey,
        state: 'pending',
        attempts: 0,
        next_attempt_at: at,
        created_at: at,
      })),
    );
  }

  /**
   * Claims up to `limit` deliveries of the endpoint that are due (or whose claim expired),
   * each the earliest unfinished one of its user; marks them delivering until `until`, in
   * one statement (no other claim can take the same rows in between), and returns each
   * with its event (null when the event is past the retention period).
   */
  async claim(
    endpointId: string,
    now: string,
    until: string,
    limit: number,
  ): Promise<Array<{ delivery: WebhookDelivery; event: Row | null }>> {
    const pg = dialectOf(this.db) === 'pg';
    const due = `(d.state = 'pending' AND d.next_attempt_at <= ?) OR (d.state = 'delivering' AND d.claimed_until < ?)`;
    const pick = `SELECT d.id FROM webhook_deliveries d
      WHERE d.endpoint_id = ? AND d.state IN ('pending', 'delivering') AND (${due})
        AND EXISTS (SELECT 1 FROM webhook_endpoints w WHERE w.id = d.endpoint_id AND w.enabled = ?)
        AND (d.order_key IS NULL OR NOT EXISTS (
          SELECT 1 FROM webhook_deliveries e
           WHERE e.endpoint_id = d.endpoint_id AND e.order_key = d.order_key AND e.id < d.id
             AND e.state IN ('pending', 'delivering')))
      ORDER BY d.id LIMIT ?${pg ? ' FOR UPDATE SKIP LOCKED' : ''}`;
    const update = `UPDATE webhook_deliveries SET state = 'delivering', claimed_until = ?, attempts = attempts + 1
      WHERE id IN (${pick}) RETURNING *`;
    const bindings = [until, endpointId, now, now, pg ? true : 1, limit];
    if (pg) {
      const result: unknown = await this.db.raw(
        `WITH c AS (${update})
         SELECT c.*, row_to_json(ev) AS event FROM c LEFT JOIN events ev ON ev.seq = c.event_seq ORDER BY c.id`,
        bindings,
      );
      return (result as { rows: Row[] }).rows.map((r) => ({
        delivery: deliveryOf(r),
        event: (r.event as Row | null) ?? null,
      }));
    }
    const claimed = ((await this.db.raw(update, bindings)) as Row[]).map(deliveryOf);
    claimed.sort((a, b) => Number(a.id) - Number(b.id));
    if (claimed.length === 0) return [];
    const events = await this.db<Row>('events').whereIn(
      'seq',
      claimed.map((d) => d.eventSeq),
    );
    const bySeq = new Map(events.map((e) => [String(e.seq), e]));
    return claimed.map((delivery) => ({ delivery, event: bySeq.get(delivery.eventSeq) ?? null }));
  }

  /**
   * Records what the attempts came to: deliveries that succeeded with the same status in
   * one statement (their slowest duration kept), each retry and failure on its own.
   */
  async recordResults(results: ReadonlyArray<{ id: string; result: AttemptResult }>, now: string): Promise<void> {
    const delivered = new Map<number, { ids: string[]; durationMs: number }>();
    for (const { id, result } of results) {
      if (result.kind === 'delivered') {
        const group = delivered.get(result.status) ?? { ids: [], durationMs: 0 };
        group.ids.push(id);
        group.durationMs = Math.max(group.durationMs, result.durationMs);
        delivered.set(result.status, group);
      }
    }
    for (const [status, group] of delivered) {
      for (let i = 0; i < group.ids.length; i += BATCH) {
        await this.db('webhook_deliveries')
          .whereIn('id', group.ids.slice(i, i + BATCH))
          .update({
            state: 'delivered',
            last_status: status,
            last_duration_ms: group.durationMs,
            last_error: null,
            claimed_until: null,
            finished_at: now,
          });
      }
    }
    for (const { id, result } of results) {
      const base = { last_status: result.status, last_duration_ms: result.durationMs, claimed_until: null };
      if (result.kind === 'retry') {
        await this.db('webhook_deliveries')
          .where({ id })
          .update({
            ...base,
            state: 'pending',
            last_error: result.error.slice(0, 500),
            next_attempt_at: result.nextAttemptAt,
          });
      } else if (result.kind === 'failed') {
        await this.db('webhook_deliveries')
          .where({ id })
          .update({ ...base, state: 'failed', last_error: result.error.slice(0, 500), finished_at: now });
      }
    }
  }

  async markEndpointSucceeded(id: string, at: string): Promise<void> {
    await this.db('webhook_endpoints').where({ id }).update({ last_success_at: at, failing_since: null });
  }

  /** Marks the endpoint failing since `at` unless it already was; returns since when it has been failing. */
  async markEndpointFailing(id: string, at: string): Promise<string> {
    await this.db('webhook_endpoints').where({ id }).whereNull('failing_since').update({ failing_since: at });
    const row = await this.db<Row>('webhook_endpoints').where({ id }).first('failing_since');
    return row?.failing_since ? toIso(row.failing_since) : at;
  }

  /** The endpoint's deliveries, newest first (the delivery log). */
  async deliveries(endpointId: string, limit: number, before?: string): Promise<WebhookDelivery[]> {
    const query = this.db<Row>('webhook_deliveries').where({ endpoint_id: endpointId });
    if (before !== undefined) query.andWhere('id', '<', before);
    return (await query.orderBy('id', 'desc').limit(limit)).map(deliveryOf);
  }

  async delivery(endpointId: string, id: string): Promise<WebhookDelivery | undefined> {
    if (!/^\d{1,19}$/.test(id)) return undefined;
    const row = await this.db<Row>('webhook_deliveries').where({ endpoint_id: endpointId, id }).first();
    return row ? deliveryOf(row) : undefined;
  }

  /** How many deliveries of the endpoint could be claimed now (due, and first of their user) or are in flight. */
  async dueBacklog(endpointId: string): Promise<number> {
    const now = new Date().toISOString();
    const [row] = await this.db('webhook_deliveries as d')
      .where('d.endpoint_id', endpointId)
      .andWhere((w) =>
        w.where('d.state', 'delivering').orWhere((x) =>
          x
            .where('d.state', 'pending')
            .andWhere('d.next_attempt_at', '<=', now)
            .andWhere((y) =>
              y
                .whereNull('d.order_key')
                .orWhereNotExists(
                  this.db('webhook_deliveries as e')
                    .select(this.db.raw('1'))
                    .whereRaw('e.endpoint_id = d.endpoint_id AND e.order_key = d.order_key AND e.id < d.id')
                    .whereIn('e.state', ['pending', 'delivering']),
                ),
            ),
        ),
      )
      .count({ n: '*' });
    return Number((row as { n: unknown } | undefined)?.n ?? 0);
  }

  /** Removes finished deliveries older than `before` (kept as long as events); returns how many. */
  async pruneBefore(before: string, limit: number): Promise<number> {
    const ids = this.db('webhook_deliveries')
      .whereIn('state', ['delivered', 'failed'])
      .andWhere('created_at', '<', before)
      .select('id')
      .limit(limit);
    return this.db('webhook_deliveries').whereIn('id', ids).delete();
  }
}

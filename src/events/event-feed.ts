/**
 * The event feed as consumers read it: an org's events after a cursor, oldest first, in an
 * order no later commit can slip behind (store/repositories/events.ts), and their pruning
 * after the retention period.
 */
import { InvalidInputError } from '../domain/errors/index.js';
import type { EventPosition, StoredEvent } from '../store/repositories/events.js';
import { START } from '../store/repositories/events.js';
import type { Store } from '../store/store.js';
import { EVENT_TYPES, type EventType } from './event-catalog.js';

export interface PublicEvent {
  readonly id: string;
  readonly type: EventType;
  readonly occurredAt: string;
  readonly orgId: string;
  readonly data: Readonly<Record<string, unknown>>;
  /** Pass as `after` to read what follows this event. */
  readonly cursor: string;
}

export interface EventPage {
  readonly events: readonly PublicEvent[];
  /** Where the next read starts: the last event's cursor, or the cursor given when none was returned. */
  readonly cursor: string;
  readonly hasMore: boolean;
}

export function encodeEventCursor(p: EventPosition): string {
  return Buffer.from(`${p.txid}.${p.seq}`).toString('base64url');
}

export function decodeEventCursor(cursor: string): EventPosition {
  const m = /^(\d{1,19})\.(\d{1,19})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m) throw new InvalidInputError('events.invalid_cursor', 'after must be a cursor this feed returned');
  return { txid: m[1]!, seq: m[2]! };
}

export function parseEventTypes(raw: string | undefined): EventType[] | undefined {
  if (!raw) return undefined;
  const types = raw
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  const unknown = types.filter((t) => !(EVENT_TYPES as readonly string[]).includes(t));
  if (unknown.length) {
    throw new InvalidInputError(
      'events.unknown_type',
      `Unknown event type ${unknown.map((t) => JSON.stringify(t)).join(', ')}; the types are ${EVENT_TYPES.join(', ')}`,
    );
  }
  return types as EventType[];
}

export function publicEvent(e: StoredEvent): PublicEvent {
  return {
    id: e.id,
    type: e.type,
    occurredAt: e.occurredAt,
    orgId: e.orgId,
    data: e.data,
    cursor: encodeEventCursor(e.position),
  };
}

export class EventFeed {
  constructor(
    private readonly store: Store,
    private readonly retentionDays: number,
  ) {}

  /** `after` undefined: from the oldest event kept; `latest`: only what comes next. */
  async page(
    orgId: string,
    options: { after?: string; types?: readonly EventType[]; limit: number },
  ): Promise<EventPage> {
    const after =
      options.after === undefined
        ? START
        : options.after === 'latest'
          ? await this.store.repos.events.latest(orgId)
          : decodeEventCursor(options.after);
    const rows = await this.store.repos.events.after(orgId, after, options.limit + 1, options.types);
    const page = rows.slice(0, options.limit);
    const last = page[page.length - 1];
    return {
      events: page.map(publicEvent),
      cursor: encodeEventCursor(last ? last.position : after),
      hasMore: rows.length > options.limit,
    };
  }

  /** Removes events, and finished deliveries, older than the retention period; returns how many events. */
  async prune(now = Date.now()): Promise<number> {
    const before = new Date(now - this.retentionDays * 86_400_000).toISOString();
    let total = 0;
    for (;;) {
      const removed = await this.store.repos.events.pruneBefore(before, 5000);
      total += removed;
      if (removed < 5000) break;
    }
    while ((await this.store.repos.webhooks.pruneBefore(before, 5000)) === 5000);
    return total;
  }
}

const PRUNE_EVERY_MS = 3_600_000;

/** Prunes past the retention period now and every hour (any instance may; the work is idempotent). */
export function scheduleEventPruning(
  feed: EventFeed,
  log: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void },
): () => void {
  const run = (): void => {
    feed.prune().then(
      (n) => {
        if (n > 0) log.info({ pruned: n }, 'pruned events past their retention');
      },
      (error: unknown) => log.warn({ err: error }, 'event pruning failed; retrying in an hour'),
    );
  };
  const first = setTimeout(run, 10_000);
  first.unref();
  const timer = setInterval(run, PRUNE_EVERY_MS);
  timer.unref();
  return () => {
    clearTimeout(first);
    clearInterval(timer);
  };
}

/**
 * Access changes announced between instances (PostgreSQL LISTEN/NOTIFY).
 *
 * Every write that can change a decision calls `announceAccessChange` inside its own
 * transaction: PostgreSQL delivers the notification at commit (and never, if the write
 * rolls back). Each instance keeps one direct connection LISTENing (a session-level
 * feature: point DATABASE_LISTEN_URL past a transaction-mode pooler) and drops what it
 * cached for the org, or for the named users, when a notification arrives.
 *
 * `sync()` makes this strict rather than merely fast: it sends a query on the listening
 * connection, and PostgreSQL sends every notification pending for that session before it
 * answers. So once `sync()` resolves, every change committed before it was called has been
 * applied to the caches: a decision never uses a grant that a change acknowledged before
 * the decision was asked for has revoked. Concurrent callers share one round trip.
 * While the connection is down the feed is unhealthy and callers must not use caches.
 */
import { prepared } from './prepared-statements.js';
import pg from 'pg';
import type { Knex } from 'knex';
import { dialectOf } from './database.js';

export const ACCESS_CHANNEL = 'identity_bridge_access';
/** Past this many users one notification names the whole org (payloads are limited to 8000 bytes). */
const MAX_USERS_PER_NOTICE = 100;

export interface AccessChange {
  readonly orgId: string;
  /** Null: anything in the org may have changed (its teams, mappings, policy or groups). */
  readonly userIds: readonly string[] | null;
}

/** Announces a change from inside the transaction that makes it (PostgreSQL only; a no-op on SQLite). */
export async function announceAccessChange(
  db: Knex,
  orgId: string,
  userIds: readonly string[] | null = null,
): Promise<void> {
  if (dialectOf(db) !== 'pg') return;
  await prepared(db, db.raw('SELECT pg_notify(?, ?)', [ACCESS_CHANNEL, noticePayload(orgId, userIds)]));
}

/** The notification's payload: the org, and its users when they are few enough to name. */
export function noticePayload(orgId: string, userIds: readonly string[] | null): string {
  return userIds !== null && userIds.length <= MAX_USERS_PER_NOTICE ? `${orgId}:${userIds.join(',')}` : orgId;
}

export function parseAccessChange(payload: string): AccessChange {
  const i = payload.indexOf(':');
  if (i < 0) return { orgId: payload, userIds: null };
  return {
    orgId: payload.slice(0, i),
    userIds: payload
      .slice(i + 1)
      .split(',')
      .filter(Boolean),
  };
}

export interface AccessChangeHandlers {
  onChange(change: AccessChange): void;
  /** Notifications may have been missed (connection lost or just made): drop every cache. */
  onReset(): void;
  onError(error: unknown): void;
}

const RECONNECT_MS = [100, 500, 1_000, 2_000, 5_000];

export class AccessChangeFeed {
  private client: pg.Client | undefined;
  private live = false;
  private stopped = false;
  private attempts = 0;
  private current: Promise<void> | undefined;
  private queued: Promise<void> | undefined;

  constructor(
    private readonly url: string,
    private readonly handlers: AccessChangeHandlers,
  ) {}

  get healthy(): boolean {
    return this.live;
  }

  async start(): Promise<void> {
    this.stopped = false;
    await this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.live = false;
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  /** Resolves once every notification committed before this call has been handled. */
  sync(): Promise<void> {
    if (this.current === undefined) {
      this.current = this.roundTrip().finally(() => {
        this.current = undefined;
      });
      return this.current;
    }
    // The round trip in flight may have been sent before this call: wait for the next one.
    this.queued ??= this.current
      .catch(() => undefined)
      .then(() => {
        this.queued = undefined;
        return this.sync();
      });
    return this.queued;
  }

  private async roundTrip(): Promise<void> {
    const client = this.client;
    if (!client || !this.live) throw new Error('access change feed is not connected');
    await client.query('SELECT 1');
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url, application_name: 'identity-bridge access feed' });
    client.on('notification', (msg) => {
      if (msg.channel === ACCESS_CHANNEL && msg.payload) this.handlers.onChange(parseAccessChange(msg.payload));
    });
    const lost = (error?: unknown): void => {
      if (this.client !== client) return;
      this.client = undefined;
      this.live = false;
      this.handlers.onReset();
      if (error) this.handlers.onError(error);
      client.end().catch(() => undefined);
      this.scheduleReconnect();
    };
    client.on('error', lost);
    client.on('end', () => lost());
    try {
      await client.connect();
      await client.query(`LISTEN ${ACCESS_CHANNEL}`);
    } catch (error) {
      client.end().catch(() => undefined);
      this.handlers.onError(error);
      this.scheduleReconnect();
      return;
    }
    if (this.stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.attempts = 0;
    this.handlers.onReset();
    this.live = true;
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    const delay = RECONNECT_MS[Math.min(this.attempts++, RECONNECT_MS.length - 1)]!;
    setTimeout(() => {
      if (!this.stopped) void this.connect();
    }, delay).unref();
  }
}

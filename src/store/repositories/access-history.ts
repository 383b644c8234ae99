/**
 * Access history: each user's access as last recorded (`user_access_states`) and every
 * change of it (`access_changes`), written a batch of users per statement.
 */
import { prepared } from '../prepared-statements.js';
import type { Knex } from 'knex';
import { outboxEvent } from '../../events/event-catalog.js';
import { bulkInsert } from '../bulk-insert.js';
import { EventRepository } from './events.js';
import { dialectOf } from '../database.js';
import { fromJson, toIso, toIsoOrNull } from '../rows.js';

type Row = Record<string, unknown>;

export interface AccessChangeRow {
  readonly orgId: string;
  readonly userId: string;
  readonly userName: string;
  readonly occurredAt: string;
  /** JSON of the diff (access/access-state.ts). */
  readonly change: unknown;
  readonly cause: unknown;
  readonly requestId: string | null;
}

export interface StoredAccessChange extends AccessChangeRow {
  readonly id: string;
}

/** Rows per INSERT: well under SQLite's bound-variable limit (32,766). */
const BATCH = 1000;
const PG_ROWS = 5000;

const CHANGE_COLUMNS = {
  org_id: 'text',
  user_id: 'text',
  user_name: 'text',
  occurred_at: 'timestamptz',
  change: 'json',
  cause: 'json',
  request_id: 'text',
} as const;

export class AccessHistoryRepository {
  constructor(private readonly db: Knex) {}

  /** When the org's access history starts (null: its users' states are not recorded yet). */
  async historySince(orgId: string): Promise<string | null | undefined> {
    const row = await this.db<Row>('organizations').where({ id: orgId }).first('access_history_since');
    return row ? toIsoOrNull(row.access_history_since) : undefined;
  }

  async markHistoryStarted(orgId: string, at: string): Promise<void> {
    await this.db('organizations').where({ id: orgId }).update({ access_history_since: at });
  }

  /** Orgs whose users' states have not been recorded yet (orgs older than the history). */
  async orgsWithoutHistory(): Promise<string[]> {
    const rows = await this.db<Row>('organizations').whereNull('access_history_since').select('id');
    return rows.map((r) => r.id as string);
  }

  /**
   * Locks these users' rows until the transaction ends (PostgreSQL), in id order, so two
   * transactions recording the same user's access take turns: the second reads the state
   * the first wrote.
   */
  async lockUsers(orgId: string, userIds: readonly string[]): Promise<void> {
    if (dialectOf(this.db) !== 'pg' || userIds.length === 0) return;
    await prepared(
      this.db,
      this.db.raw(`SELECT id FROM directory_users WHERE org_id = ? AND id = ANY(?) ORDER BY id FOR NO KEY UPDATE`, [
        orgId,
        [...userIds],
      ]),
    );
  }

  /** The recorded states of the org's users with ids in (after, upTo]. */
  async statesInRange(orgId: string, after: string, upTo: string): Promise<Map<string, string>> {
    const rows = await this.db<Row>('user_access_states')
      .where('user_id', '>', after)
      .andWhere('user_id', '<=', upTo)
      .andWhere('org_id', orgId)
      .select('user_id', 'state');
    return new Map(rows.map((r) => [r.user_id as string, r.state as string]));
  }

  /** The recorded states of these users (user id → state text). */
  async states(userIds: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const pg = dialectOf(this.db) === 'pg';
    for (let i = 0; i < userIds.length; i += BATCH) {
      const part = userIds.slice(i, i + BATCH);
      const query = this.db<Row>('user_access_states').select('user_id', 'state');
      const rows = await (pg
        ? prepared(this.db, query.whereRaw('user_id = ANY(?)', [part]))
        : query.whereIn('user_id', part));
      for (const r of rows) out.set(r.user_id as string, r.state as string);
    }
    return out;
  }

  async saveStates(orgId: string, states: ReadonlyArray<{ userId: string; state: string }>): Promise<void> {
    if (states.length === 0) return;
    if (dialectOf(this.db) === 'pg') {
      await prepared(
        this.db,
        this.db.raw(
          `INSERT INTO user_access_states (user_id, org_id, state)
         SELECT u, ?, s FROM unnest(?::text[], ?::text[]) AS x(u, s)
         ON CONFLICT (user_id) DO UPDATE SET state = EXCLUDED.state`,
          [orgId, states.map((s) => s.userId), states.map((s) => s.state)],
        ),
      );
      return;
    }
    for (let i = 0; i < states.length; i += BATCH) {
      const rows = states.slice(i, i + BATCH).map((s) => ({ user_id: s.userId, org_id: orgId, state: s.state }));
      await this.db('user_access_states').insert(rows).onConflict('user_id').merge(['state']);
    }
  }

  async dropStates(userIds: readonly string[]): Promise<void> {
    for (let i = 0; i < userIds.length; i += BATCH) {
      await this.db('user_access_states')
        .whereIn('user_id', userIds.slice(i, i + BATCH))
        .delete();
    }
  }

  /**
   * The changes, and with `asEvents` an `access.changed` event for each (`user`, `changes`,
   * `cause`). On PostgreSQL one statement: the rows are sent and parsed once, and the events
   * are made from the inserted rows.
   */
  async insertChanges(changes: readonly AccessChangeRow[], asEvents: boolean): Promise<void> {
    const rows = changes.map((c) => ({
      org_id: c.orgId,
      user_id: c.userId,
      user_name: c.userName,
      occurred_at: c.occurredAt,
      change: c.change,
      cause: c.cause,
      request_id: c.requestId,
    }));
    if (dialectOf(this.db) === 'pg' && asEvents) {
      for (let i = 0; i < rows.length; i += PG_ROWS) {
        await prepared(
          this.db,
          this.db.raw(
            `WITH src AS MATERIALIZED (
             SELECT * FROM json_to_recordset(?::json)
               AS x(org_id text, user_id text, user_name text, occurred_at timestamptz, change json, cause json, request_id text)),
           ins AS (
             INSERT INTO access_changes (org_id, user_id, user_name, occurred_at, change, cause, request_id)
             SELECT org_id, user_id, user_name, occurred_at, change::text, cause::text, request_id FROM src)
           INSERT INTO events (id, org_id, type, occurred_at, subject_user_id, data)
           SELECT 'evt_' || replace(gen_random_uuid()::text, '-', ''), org_id, 'access.changed', occurred_at, user_id,
                  json_build_object('user', json_build_object('id', user_id, 'userName', user_name),
                                    'changes', change, 'cause', cause)::text
             FROM src`,
            [JSON.stringify(rows.slice(i, i + PG_ROWS))],
          ),
        );
      }
      return;
    }
    await bulkInsert(this.db, 'access_changes', CHANGE_COLUMNS, rows);
    if (!asEvents) return;
    await new EventRepository(this.db).insertMany(
      changes.map((c) =>
        outboxEvent(c.orgId, 'access.changed', c.occurredAt, c.userId, {
          user: { id: c.userId, userName: c.userName },
          changes: c.change,
          cause: c.cause,
        }),
      ),
    );
  }

  /** A user no longer in the directory, as their history names them (by id or userName). */
  async formerUser(orgId: string, idOrUserName: string): Promise<{ id: string; userName: string } | undefined> {
    const row = await this.db<Row>('access_changes')
      .where('org_id', orgId)
      .andWhere((w) => w.where('user_id', idOrUserName).orWhere('user_name', idOrUserName))
      .orderBy('id', 'desc')
      .first('user_id', 'user_name');
    return row ? { id: row.user_id as string, userName: row.user_name as string } : undefined;
  }

  /** One user's changes, newest first, before the change `before` (a page). */
  async history(orgId: string, userId: string, limit: number, before?: string): Promise<StoredAccessChange[]> {
    const query = this.db<Row>('access_changes').where({ org_id: orgId, user_id: userId });
    if (before !== undefined) query.andWhere('id', '<', before);
    const rows = await query.orderBy('id', 'desc').limit(limit);
    return rows.map((r) => ({
      id: String(r.id),
      orgId: r.org_id as string,
      userId: r.user_id as string,
      userName: r.user_name as string,
      occurredAt: toIso(r.occurred_at),
      change: fromJson(r.change),
      cause: fromJson(r.cause),
      requestId: (r.request_id as string | null) ?? null,
    }));
  }
}

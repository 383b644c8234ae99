/** Shared rate-limit counters: add this instance's requests to a key's window and read the total back. */
import type { Knex } from 'knex';
import { prepared } from '../prepared-statements.js';

export class RateLimitRepository {
  constructor(private readonly db: Knex) {}

  /** Adds `count` to the key's window; returns the window's total over every instance. */
  async add(key: string, windowStart: number, count: number): Promise<number> {
    const result = await prepared(
      this.db,
      this.db.raw(
        `INSERT INTO rate_limits (key, window_start, count) VALUES (?, ?, ?)
         ON CONFLICT (key, window_start) DO UPDATE SET count = rate_limits.count + excluded.count
         RETURNING count`,
        [key, windowStart, count],
      ),
    );
    const rows = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as Array<{ count: unknown }>;
    return Number(rows[0]?.count ?? count);
  }

  /** Forgets windows that ended before `before`. */
  async prune(before: number): Promise<void> {
    await this.db('rate_limits').where('window_start', '<', before).delete();
  }
}

/**
 * Keeps PostgreSQL's planner statistics fresh for the directory tables. An initial sync
 * grows them from nothing to 100,000s of rows within minutes, faster than autovacuum's
 * default cadence (and some servers run with autovacuum off); with stale statistics the
 * planner can scan a whole org for a primary-key lookup. Every interval, a table changed
 * by more than 10% (plus 1,000 rows) since its last analysis is analysed. One instance at
 * a time does it (advisory lock). Never runs on SQLite, never blocks a request.
 */
import type { Knex } from 'knex';
import { dialectOf } from './database.js';

const TABLES = [
  'directory_users',
  'directory_user_values',
  'directory_groups',
  'group_memberships',
  'team_memberships',
  'audit_events',
];
const LOCK_KEY = 'identity-bridge planner statistics';

export interface StatisticsLog {
  debug(obj: object, message: string): void;
  warn(obj: object, message: string): void;
}

/** Analyses the tables that need it; returns their names. */
export async function refreshPlannerStatistics(db: Knex): Promise<string[]> {
  if (dialectOf(db) !== 'pg') return [];
  return db.transaction(async (trx) => {
    const locked = await trx.raw<{ rows: Array<{ ok: boolean }> }>(
      'SELECT pg_try_advisory_xact_lock(hashtext(?)) AS ok',
      [LOCK_KEY],
    );
    if (!locked.rows[0]?.ok) return [];
    // Maintenance, not a request: ANALYZE of a big table may take longer than a request's deadline.
    await trx.raw('SET LOCAL statement_timeout = 0');
    const stale = await trx.raw<{ rows: Array<{ relname: string }> }>(
      `SELECT s.relname FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
        WHERE s.schemaname = current_schema() AND s.relname = ANY(?)
          AND s.n_mod_since_analyze > 1000 + 0.1 * GREATEST(c.reltuples, 0)`,
      [TABLES],
    );
    const names = stale.rows.map((r) => r.relname);
    for (const name of names) await trx.raw('ANALYZE ??', [name]);
    return names;
  });
}

/**
 * The warning for a server that runs without autovacuum (and so without autoanalyze). The
 * keeper still analyses, but nothing removes the rows that one-member PATCHes and
 * deactivations leave dead: they pile up in the membership and user tables and every read
 * of them slows (measured: group reads cost 0.58 ms of the database's CPU each once
 * 128,000 dead membership rows had piled up).
 */
export async function autovacuumNotice(db: Knex): Promise<string | undefined> {
  if (dialectOf(db) !== 'pg') return undefined;
  const shown = await db.raw<{ rows: Array<{ autovacuum: string }> }>('SHOW autovacuum');
  if (shown.rows[0]?.autovacuum !== 'off') return undefined;
  return 'PostgreSQL runs with autovacuum off: membership changes and deactivations leave dead rows that slow every read until a VACUUM removes them; turn autovacuum on, or VACUUM the directory tables on a schedule';
}

/** Runs the refresh every `intervalMs` until stopped; logs the autovacuum warning once, at start. */
export function startPlannerStatistics(db: Knex, log: StatisticsLog, intervalMs = 15_000): () => void {
  if (dialectOf(db) !== 'pg') return () => undefined;
  autovacuumNotice(db)
    .then((notice) => {
      if (notice) log.warn({ autovacuum: 'off' }, notice);
    })
    .catch((error: unknown) => log.warn({ err: error }, 'could not read the autovacuum setting'));
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    refreshPlannerStatistics(db)
      .then((analysed) => {
        if (analysed.length > 0) log.debug({ analysed }, 'refreshed planner statistics');
      })
      .catch((error: unknown) => log.warn({ err: error }, 'could not refresh planner statistics'))
      .finally(() => {
        running = false;
      });
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

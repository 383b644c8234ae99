/** On PostgreSQL, tables that grew since their last analysis are analysed, so plans follow the data. */
import { randomUUID } from 'node:crypto';
import { autovacuumNotice, refreshPlannerStatistics } from '../../../src/store/planner-statistics.js';
import { createTestStore } from '../../support/test-database.js';

describe('planner statistics keeper', () => {
  it('analyses a directory table after a bulk load and leaves it alone once fresh', async () => {
    const { store, close } = await createTestStore();
    try {
      const db = store.db;
      const at = new Date().toISOString();
      const orgId = randomUUID();
      await db('organizations').insert({ id: orgId, slug: 'stats', name: 'Stats', created_at: at, updated_at: at });
      const rows = Array.from({ length: 3000 }, (_, i) => ({
        id: randomUUID(),
        org_id: orgId,
        user_name: `u${i}@stats.example`,
        user_name_lower: `u${i}@stats.example`,
        created_at: at,
        updated_at: at,
      }));
      for (let i = 0; i < rows.length; i += 500) await db('directory_users').insert(rows.slice(i, i + 500));
      // pg_stat counters are reported by backends asynchronously: make this backend's visible.
      await db.raw('SELECT pg_stat_force_next_flush()').catch(() => undefined);
      let analysed: string[] = [];
      for (let attempt = 0; attempt < 50 && !analysed.includes('directory_users'); attempt++) {
        analysed = await refreshPlannerStatistics(db);
        if (!analysed.includes('directory_users')) await new Promise((r) => setTimeout(r, 100));
      }
      expect(analysed).toContain('directory_users');
      const stats = await db.raw<{ rows: Array<{ last_analyze: Date | null }> }>(
        "SELECT last_analyze FROM pg_stat_user_tables WHERE relname = 'directory_users'",
      );
      expect(stats.rows[0]?.last_analyze).not.toBeNull();
      expect(await refreshPlannerStatistics(db)).not.toContain('directory_users');
    } finally {
      await close();
    }
  });

  it('tells the operator when the server runs without autovacuum, and only then', async () => {
    const { store, close } = await createTestStore();
    try {
      const shown = await store.db.raw<{ rows: Array<{ autovacuum: string }> }>('SHOW autovacuum');
      const notice = await autovacuumNotice(store.db);
      if (shown.rows[0]?.autovacuum === 'off') expect(notice).toMatch(/autovacuum off.*VACUUM/);
      else expect(notice).toBeUndefined();
    } finally {
      await close();
    }
  });
});

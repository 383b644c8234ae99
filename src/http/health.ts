/** Liveness (`/healthz`: the process answers) and readiness (`/readyz`: the database answers and is migrated). */
import { Router } from 'express';
import type { Knex } from 'knex';
import { migrationStatus } from '../store/database.js';

export function healthRouter(db: Knex): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (req, res) => {
    try {
      await db.raw('select 1');
      const { pending } = await migrationStatus(db);
      if (pending.length > 0) {
        res.status(503).json({ status: 'unavailable', reason: 'migrations pending', pending });
        return;
      }
      res.json({ status: 'ready' });
    } catch (error) {
      req.log.warn({ err: error }, 'readiness check failed');
      res.setHeader('Retry-After', '5');
      res.status(503).json({ status: 'unavailable', reason: 'database unreachable' });
    }
  });
  return router;
}

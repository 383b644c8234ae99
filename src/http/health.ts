/** Liveness (`/healthz`: the process answers) and readiness (`/readyz`: the database answers and is migrated). */
import { Router } from 'express';

/** `pendingMigrations` names the migrations not applied yet, and throws when the database does not answer. */
export function healthRouter(pendingMigrations: () => Promise<string[]>): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (req, res) => {
    try {
      const pending = await pendingMigrations();
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

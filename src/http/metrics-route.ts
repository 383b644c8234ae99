/** GET /metrics in Prometheus text format; with METRICS_TOKEN set, only for `Authorization: Bearer <token>`. */
import { timingSafeEqual } from 'node:crypto';
import { Router } from 'express';
import { registry } from '../telemetry/metrics.js';

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function metricsRouter(token: string | undefined): Router {
  const router = Router();
  router.get('/metrics', async (req, res) => {
    if (token !== undefined) {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '');
      if (!m || !sameToken(m[1]!, token)) {
        res.setHeader('WWW-Authenticate', 'Bearer realm="identity-bridge metrics"');
        res.status(401).json({ error: { code: 'auth.unauthenticated', message: 'Send the metrics token' } });
        return;
      }
    }
    res.setHeader('Content-Type', registry.contentType);
    res.send(await registry.metrics());
  });
  return router;
}

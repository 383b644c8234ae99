/**
 * Serves the admin console: one HTML page (routing is in the browser), its stylesheet from
 * console/static and its compiled scripts from dist/console (`npm run build`, which
 * `npm install` runs). Nothing here needs credentials: the page asks the admin API.
 */
import path from 'node:path';
import express, { Router } from 'express';

export function consoleRouter(root: string): Router {
  const router = Router();
  const staticDir = path.join(root, 'console', 'static');
  const scripts = path.join(root, 'dist', 'console');
  const page = path.join(staticDir, 'index.html');
  const options = { index: false, fallthrough: false, maxAge: 0, etag: true } as const;
  router.use('/assets', express.static(staticDir, { ...options, fallthrough: true }), express.static(scripts, options));
  router.get(['/', '/setup'], (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.sendFile(page);
  });
  return router;
}

/** Browsers ask for /favicon.ico whatever the page says: answer with the console's icon. */
export function faviconRoute(root: string): Router {
  const router = Router();
  const icon = path.join(root, 'console', 'static', 'favicon.svg');
  router.get('/favicon.ico', (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=86400');
    res.type('image/svg+xml').sendFile(icon);
  });
  return router;
}

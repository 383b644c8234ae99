/** Mounts the route table on an Express router: validation, role check, response. */
import type { Router } from 'express';
import { type Request, type Response } from 'express';
import { ForbiddenError } from '../domain/errors/index.js';
import { validationError } from './problem.js';
import { expressPath, type AdminCaller, type AdminRoute } from './route-table.js';

const NOBODY: AdminCaller = {
  orgId: '',
  role: 'User',
  via: 'console',
  actor: { type: 'system', id: null, label: null, requestId: null },
};

function callerOf(res: Response, route: AdminRoute): AdminCaller {
  if (route.role === 'none') return NOBODY;
  const caller = res.locals.adminCaller;
  if (!caller) throw new ForbiddenError();
  return caller;
}

export function mountRoutes(router: Router, routes: readonly AdminRoute[]): void {
  for (const r of routes) {
    router[r.method](expressPath(r.path), async (req: Request, res: Response) => {
      const caller = callerOf(res, r);
      if (r.role === 'Owner' && caller.role !== 'Owner') {
        throw new ForbiddenError(`Only an Owner of the organization can ${r.summary.toLowerCase()}`, 'auth.role');
      }
      const params = r.params ? r.params.safeParse(req.params) : { success: true as const, data: {} };
      if (!params.success) throw validationError('path', params.error);
      const query = r.query ? r.query.safeParse(req.query) : { success: true as const, data: {} };
      if (!query.success) throw validationError('query', query.error);
      const body = r.body ? r.body.safeParse(req.body ?? {}) : { success: true as const, data: undefined };
      if (!body.success) throw validationError('body', body.error);
      const result = await r.handle({ caller, params: params.data, query: query.data, body: body.data, req, res });
      if (res.headersSent) return;
      const status = r.status ?? (r.response ? 200 : 204);
      if (status === 204) {
        res.status(204).end();
        return;
      }
      res.status(status).json(result);
    });
  }
}

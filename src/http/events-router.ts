/**
 * The event feed for factory services, with an org API token (like the decision API):
 *   GET /v1/events?after=CURSOR&types=user.deactivated,access.changed&limit=100
 * Oldest first; `cursor` in the answer is where the next read starts. Events are kept for
 * EVENT_RETENTION_DAYS (30 by default).
 */
import { Router } from 'express';
import { z } from 'zod';
import type { AdminTokenService } from '../admin/admin-tokens.js';
import { InvalidInputError, UnauthenticatedError } from '../domain/errors/index.js';
import { parseEventTypes, type EventFeed } from '../events/event-feed.js';
import { apiTokenAuth } from './access-router.js';
import { rememberMount } from './request-metrics.js';

const Query = z.object({
  after: z.string().min(1).max(200).optional(),
  types: z.string().max(2000).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export function eventsRouter(deps: { tokens: AdminTokenService; feed: EventFeed }): Router {
  const router = Router();
  router.use(rememberMount);
  router.use(apiTokenAuth(deps.tokens, 'identity-bridge events'));
  router.get('/', async (req, res) => {
    const parsed = Query.safeParse(req.query);
    if (!parsed.success) {
      throw new InvalidInputError(
        'events.invalid_request',
        parsed.error.issues.map((i) => `${i.path.join('.') || 'query'}: ${i.message}`).join('; '),
      );
    }
    const { after, types, limit } = parsed.data;
    const principal = res.locals.apiPrincipal;
    if (!principal) throw new UnauthenticatedError();
    const page = await deps.feed.page(principal.orgId, {
      limit,
      ...(after !== undefined ? { after } : {}),
      ...(parseEventTypes(types) ? { types: parseEventTypes(types)! } : {}),
    });
    res.json(page);
  });
  return router;
}

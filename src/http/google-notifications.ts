/**
 * Where Google posts a connection's change notifications (users.watch):
 *   POST /google/notifications/:connectionId
 * with the channel's id, token and resource state in X-Goog-* headers and no body worth
 * reading. A notification from the channel this service opened makes the connection's
 * next sync due now; anything else is 401. Google retries what is not answered 2xx.
 */
import { Router, type Request, type Response } from 'express';
import { rememberMount } from './request-metrics.js';

/** What takes a notification in (the directory sync). */
export interface ChangeNotifications {
  notified(
    connectionId: string,
    notice: { readonly channelId: string; readonly token: string; readonly state: string },
  ): Promise<'ignored' | 'due'>;
}

/** Mounted at /google/notifications. */
export function googleNotificationsRouter(sync: ChangeNotifications): Router {
  const router = Router();
  router.use(rememberMount);
  router.post('/:connectionId', async (req: Request<{ connectionId: string }>, res: Response) => {
    const outcome = await sync.notified(req.params.connectionId, {
      channelId: req.get('x-goog-channel-id') ?? '',
      token: req.get('x-goog-channel-token') ?? '',
      state: req.get('x-goog-resource-state') ?? '',
    });
    req.log.info({ connectionId: req.params.connectionId, outcome }, 'Google change notification');
    res.status(200).end();
  });
  return router;
}

/**
 * Google's change notifications for users (users.watch): a channel asks Google to POST to
 * this service when a user is added, changed or deleted, and each notification makes the
 * connection's next run due now. A channel lasts hours, not forever: every run renews it
 * when it nears its end (runs hold the connection's lease, so one instance does it), and
 * stops it when the setting is turned off. Notifications carry the channel's token, stored
 * here as a hash and compared in constant time. Groups have no notifications: the schedule
 * still catches their changes.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { DirectorySource } from '../../domain/directory-source.js';
import type { WatchChannel } from '../../domain/directory-sync.js';
import { hashToken } from '../../domain/secret-token.js';
import type { Store } from '../../store/store.js';

/** How long a channel is asked for (Google may give less). */
export const WATCH_TTL_SECONDS = 6 * 3600;
/** A channel ending sooner than this is replaced by the next run. */
const RENEW_BEFORE_MS = 2 * 3600 * 1000;

/**
 * Opens, renews or closes the connection's channel as the setting says; `address` is where
 * Google posts (undefined: no public https address, so no channel). Resolves to a problem
 * in words when Google refused, undefined otherwise: a refused channel never fails a run.
 */
export async function keepWatch(
  store: Store,
  source: DirectorySource,
  scope: { readonly orgId: string; readonly connectionId: string },
  wanted: boolean,
  address: string | undefined,
): Promise<string | undefined> {
  const repos = store.repos.directorySync;
  const current = await repos.watchChannel(scope.connectionId);
  const stop = async (channel: WatchChannel): Promise<void> => {
    // Best effort: a channel Google no longer knows simply ends at its expiry.
    await source.stopWatch({ id: channel.id, resourceId: channel.resourceId }).catch(() => undefined);
  };
  if (!wanted || !address) {
    if (current) {
      await repos.setWatchChannel(scope.orgId, scope.connectionId, null);
      await stop(current);
    }
    return undefined;
  }
  if (current && Date.parse(current.expiresAt) - Date.now() > RENEW_BEFORE_MS) return undefined;
  const id = randomUUID();
  const token = randomBytes(32).toString('base64url');
  try {
    const opened = await source.watchUsers({ id, address, token, ttlSeconds: WATCH_TTL_SECONDS });
    await repos.setWatchChannel(scope.orgId, scope.connectionId, {
      id,
      resourceId: opened.resourceId,
      tokenHash: hashToken(token),
      expiresAt: opened.expiresAt,
    });
  } catch (error) {
    return `Google refused the change notifications (${error instanceof Error ? error.message : String(error)}); runs still follow the schedule`;
  }
  if (current) await stop(current);
  return undefined;
}

/**
 * The directory sync schedule on one instance: every tick (30 s, jittered so a fleet does
 * not tick in step) it runs the connections whose next run is due and that no other
 * instance holds. Every instance may run it; the lease lets one run each connection.
 */
import type { DirectorySync } from './directory-sync.js';

export interface SchedulerLog {
  warn(obj: object, message: string): void;
}

export function scheduleDirectorySyncs(sync: DirectorySync, log: SchedulerLog, everyMs = 30_000): () => Promise<void> {
  let current: Promise<unknown> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const tick = (): void => {
    current = sync
      .runDue((error, connectionId) => log.warn({ err: error, connectionId }, 'directory sync run failed'))
      .catch((error: unknown) => log.warn({ err: error }, 'could not look for due directory syncs'))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, everyMs * (0.75 + Math.random() / 2)).unref();
      });
  };
  timer = setTimeout(tick, everyMs * Math.random()).unref();
  return async () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    sync.stop();
    await current;
  };
}

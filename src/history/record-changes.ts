/**
 * What every transaction records before it commits (installed on the store by the
 * services): the access history of the users it touched, then its events in the outbox.
 */
import { eventOfAudit } from '../events/event-catalog.js';
import { outboxEventsOf } from '../events/outbox.js';
import type { BeforeCommit, Store } from '../store/store.js';
import { AccessHistoryRecorder } from './access-recorder.js';

export function installChangeRecording(store: Store, options: { readonly events: boolean }): AccessHistoryRecorder {
  const recorder = new AccessHistoryRecorder();
  const beforeCommit: BeforeCommit = async (repos, changes) => {
    // The writes' own events first, then the access changes they caused.
    if (options.events) {
      const events = await outboxEventsOf(repos, changes);
      if (events.length) await repos.events.insertMany(events);
    }
    if (changes.touched.size === 0) return;
    await recorder.record(repos, changes, options.events);
  };
  store.beforeCommit = beforeCommit;
  store.outboxOfAudit = options.events ? eventOfAudit : undefined;
  return recorder;
}

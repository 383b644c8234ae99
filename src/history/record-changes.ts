/**
 * What every transaction records before it commits (installed on the store by the
 * services): the access history of the users it touched, then its events in the outbox.
 */
import { actorOf, eventOfAudit, newEventId, outboxEvent } from '../events/event-catalog.js';
import { outboxEventsOf } from '../events/outbox.js';
import type { BeforeCommit, Store } from '../store/store.js';
import { AccessHistoryRecorder, deactivationRecord } from './access-recorder.js';

export function installChangeRecording(store: Store, options: { readonly events: boolean }): AccessHistoryRecorder {
  const recorder = new AccessHistoryRecorder();
  // The writes' own events (written with their audit events), then the access changes they caused.
  const beforeCommit: BeforeCommit = {
    events: (repos, changes) => (options.events ? outboxEventsOf(repos, changes) : Promise.resolve([])),
    record: (repos, changes) => recorder.record(repos, changes, options.events),
  };
  store.beforeCommit = beforeCommit;
  store.outboxOfAudit = options.events ? eventOfAudit : undefined;
  store.outboxIdentity = options.events ? (audit) => ({ id: newEventId(), actor: actorOf(audit) }) : undefined;
  store.recordDeactivation = (user, before, audit) => {
    const recorded = deactivationRecord(user, before, audit);
    if (!recorded?.change || !options.events) return recorded;
    const { change } = recorded;
    const event = outboxEvent(audit.orgId, 'access.changed', audit.occurredAt, user.id, {
      user: { id: user.id, userName: change.userName },
      changes: change.change,
      cause: change.cause,
    });
    return { ...recorded, event };
  };
  return recorder;
}

/**
 * The HTTP request one delivery sends.
 * - `webhook` endpoints: the event as JSON (`id`, `type`, `timestamp`, `data`), signed per
 *   Standard Webhooks with the endpoint's secret (`webhook-id` is the event's id, the same
 *   on every attempt, so receivers drop duplicates; `webhook-timestamp`; `webhook-signature`).
 * - `set` endpoints (Shared Signals): a Security Event Token (RFC 8417) pushed per RFC 8935
 *   (`application/secevent+jwt`), signed with the access-token key (verify at
 *   /.well-known/jwks.json), for CAEP session-revoked and credential-change.
 */
import { randomBytes } from 'node:crypto';
import type { Webhook } from 'standardwebhooks';
import type { StoredEvent } from '../store/repositories/events.js';
import type { EventType } from './event-catalog.js';

export const CAEP_SESSION_REVOKED = 'https://schemas.openid.net/secevent/caep/event-type/session-revoked';
export const CAEP_CREDENTIAL_CHANGE = 'https://schemas.openid.net/secevent/caep/event-type/credential-change';

/** The events a `set` endpoint receives (each one SET). */
export const SET_EVENT_TYPES: readonly EventType[] = ['session.revoked', 'user.deactivated'];

export interface OutgoingRequest {
  readonly body: string;
  readonly headers: Record<string, string>;
}

/** A new endpoint secret in the Standard Webhooks form (`whsec_` and 32 random bytes, base64). */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

export function webhookBody(event: StoredEvent): string {
  return JSON.stringify({ id: event.id, type: event.type, timestamp: event.occurredAt, data: event.data });
}

export function webhookRequest(event: StoredEvent, secret: Webhook, now: Date): OutgoingRequest {
  const body = webhookBody(event);
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'user-agent': 'identity-bridge-webhooks',
      'webhook-id': event.id,
      'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
      'webhook-signature': secret.sign(event.id, now, body),
    },
  };
}

interface SubjectUser {
  readonly id?: unknown;
  readonly userName?: unknown;
}

/** The subject of a SET: the user's email-shaped userName, else their id (SSF `sub_id`). */
function subjectOf(user: SubjectUser, orgId: string): Record<string, unknown> {
  const userName = typeof user.userName === 'string' ? user.userName : null;
  return userName && /^[^@\s]+@[^@\s]+$/.test(userName)
    ? { format: 'email', email: userName }
    : { format: 'opaque', id: `${orgId}/${String(user.id)}` };
}

/** The claims of the SET an event becomes, or undefined for events a SET receiver does not get. */
export function securityEventClaims(event: StoredEvent): Record<string, unknown> | undefined {
  const user = (event.data.user ?? {}) as SubjectUser;
  const eventTimestamp = Math.floor(Date.parse(event.occurredAt) / 1000);
  const actor = (event.data.actor ?? {}) as { type?: string };
  const initiatingEntity = actor.type === 'admin' || actor.type === 'cli' ? 'admin' : 'system';
  const sub_id = subjectOf(user, event.orgId);
  if (event.type === 'session.revoked') {
    return {
      sub_id,
      events: {
        [CAEP_SESSION_REVOKED]: {
          subject: sub_id,
          event_timestamp: eventTimestamp,
          initiating_entity: initiatingEntity,
          reason_admin: { en: 'Sessions revoked by an administrator' },
        },
      },
    };
  }
  if (event.type === 'user.deactivated') {
    return {
      sub_id,
      events: {
        [CAEP_CREDENTIAL_CHANGE]: {
          subject: sub_id,
          event_timestamp: eventTimestamp,
          initiating_entity: initiatingEntity,
          credential_type: 'password',
          change_type: 'revoke',
          reason_admin: { en: 'User deactivated in the identity provider: every credential is revoked' },
        },
      },
    };
  }
  return undefined;
}

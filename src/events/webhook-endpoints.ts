/**
 * An org's webhook endpoints as admins manage them: add one (its secret shown once), change
 * its URL or event types, turn it off and on, remove it, read its delivery log, redeliver.
 * A new endpoint receives what happens from now on. URLs must be https (plain http only to
 * networks the operator allows), and are checked again, after DNS, at every connection.
 */
import { randomUUID } from 'node:crypto';
import { recordAudit } from '../audit/audit-log.js';
import type { Actor } from '../domain/actor.js';
import { InvalidInputError, NotFoundError } from '../domain/errors/index.js';
import type { GuardedFetch } from '../outbound/guarded-fetch.js';
import type { SecretBox } from '../sso/secret-box.js';
import type { EndpointFormat, WebhookDelivery, WebhookEndpoint } from '../store/repositories/webhooks.js';
import type { Store } from '../store/store.js';
import { EVENT_TYPES, type EventType } from './event-catalog.js';
import { SET_EVENT_TYPES, newWebhookSecret } from './webhook-message.js';

export interface EndpointInput {
  readonly url: string;
  readonly format?: EndpointFormat;
  /** Null or absent: every type (for `set`: session.revoked and user.deactivated). */
  readonly eventTypes?: readonly string[] | null;
  readonly description?: string | null;
  /** `set` only: the `aud` of its tokens (default: the URL). */
  readonly audience?: string | null;
}

export interface EndpointChange {
  readonly url?: string;
  readonly eventTypes?: readonly string[] | null;
  readonly description?: string | null;
  readonly audience?: string | null;
  readonly enabled?: boolean;
}

/** An endpoint as admins see it (never its secret). */
export interface EndpointView {
  readonly id: string;
  readonly url: string;
  readonly format: EndpointFormat;
  readonly eventTypes: readonly EventType[] | null;
  readonly description: string | null;
  readonly audience: string | null;
  readonly enabled: boolean;
  readonly disabledReason: string | null;
  readonly disabledAt: string | null;
  readonly failingSince: string | null;
  readonly lastSuccessAt: string | null;
  readonly createdAt: string;
}

function viewOf(e: WebhookEndpoint): EndpointView {
  return {
    id: e.id,
    url: e.url,
    format: e.format,
    eventTypes: e.eventTypes,
    description: e.description,
    audience: e.audience,
    enabled: e.enabled,
    disabledReason: e.disabledReason,
    disabledAt: e.disabledAt,
    failingSince: e.failingSince,
    lastSuccessAt: e.lastSuccessAt,
    createdAt: e.createdAt,
  };
}

function checkTypes(types: readonly string[] | null | undefined, format: EndpointFormat): EventType[] | null {
  if (types === null || types === undefined || types.length === 0) return null;
  const allowed: readonly string[] = format === 'set' ? SET_EVENT_TYPES : EVENT_TYPES;
  const unknown = types.filter((t) => !allowed.includes(t));
  if (unknown.length) {
    throw new InvalidInputError(
      'webhook.unknown_event_type',
      `${unknown.map((t) => JSON.stringify(t)).join(', ')} ${unknown.length > 1 ? 'are' : 'is'} not an event type ${
        format === 'set' ? 'a SET endpoint receives' : 'of the feed'
      }; choose from ${allowed.join(', ')}`,
    );
  }
  return [...new Set(types)] as EventType[];
}

export class WebhookEndpointService {
  constructor(
    private readonly store: Store,
    private readonly box: SecretBox,
    private readonly outbound: GuardedFetch,
    /** Told after every change, so this instance's deliveries use it at once. */
    private readonly changed: () => void = () => undefined,
  ) {}

  private async checkUrl(url: string): Promise<string> {
    const trimmed = url.trim();
    if (trimmed.length === 0 || trimmed.length > 2048) {
      throw new InvalidInputError('webhook.invalid_url', 'Give the endpoint URL (up to 2048 characters)');
    }
    const refused = await this.outbound.checkDeliveryUrl(trimmed);
    if (refused) throw new InvalidInputError('webhook.invalid_url', refused);
    return trimmed;
  }

  async create(
    orgId: string,
    input: EndpointInput,
    actor: Actor,
  ): Promise<{ endpoint: EndpointView; secret: string | null }> {
    const format = input.format ?? 'webhook';
    if (format !== 'webhook' && format !== 'set') {
      throw new InvalidInputError('webhook.invalid_format', 'format must be webhook or set');
    }
    const url = await this.checkUrl(input.url);
    const eventTypes = checkTypes(input.eventTypes, format);
    const secret = format === 'webhook' ? newWebhookSecret() : null;
    const endpoint: WebhookEndpoint = {
      id: randomUUID(),
      orgId,
      url,
      format,
      eventTypes,
      secretSealed: secret ? this.box.seal(secret) : null,
      audience: format === 'set' ? input.audience?.trim() || null : null,
      description: input.description?.trim() || null,
      enabled: true,
      disabledReason: null,
      disabledAt: null,
      // From now on: what happened before it was added is in the feed, not sent.
      cursor: await this.store.repos.events.latest(orgId),
      failingSince: null,
      lastSuccessAt: null,
      createdAt: new Date().toISOString(),
    };
    await this.store.transaction(async (repos) => {
      await repos.webhooks.insertEndpoint(endpoint);
      await recordAudit(repos, orgId, actor, {
        action: 'webhook_endpoint.created',
        target: { type: 'webhook_endpoint', id: endpoint.id, label: url },
        data: { format, eventTypes },
      });
    });
    this.changed();
    return { endpoint: viewOf(endpoint), secret };
  }

  async list(orgId: string): Promise<EndpointView[]> {
    return (await this.store.repos.webhooks.endpoints(orgId)).map(viewOf);
  }

  async get(orgId: string, id: string): Promise<EndpointView> {
    return viewOf(await this.found(orgId, id));
  }

  private async found(orgId: string, id: string): Promise<WebhookEndpoint> {
    const endpoint = await this.store.repos.webhooks.endpoint(orgId, id);
    if (!endpoint) throw new NotFoundError('webhook endpoint', id);
    return endpoint;
  }

  async update(orgId: string, id: string, change: EndpointChange, actor: Actor): Promise<EndpointView> {
    const current = await this.found(orgId, id);
    const url = change.url !== undefined ? await this.checkUrl(change.url) : undefined;
    const eventTypes = change.eventTypes !== undefined ? checkTypes(change.eventTypes, current.format) : undefined;
    const reenabled = change.enabled === true && !current.enabled;
    await this.store.transaction(async (repos) => {
      await repos.webhooks.updateEndpoint(orgId, id, {
        ...(url !== undefined ? { url } : {}),
        ...(eventTypes !== undefined ? { eventTypes } : {}),
        ...(change.description !== undefined ? { description: change.description?.trim() || null } : {}),
        ...(change.audience !== undefined && current.format === 'set'
          ? { audience: change.audience?.trim() || null }
          : {}),
        ...(change.enabled !== undefined ? { enabled: change.enabled } : {}),
        ...(change.enabled === false
          ? { disabledReason: 'Turned off by an admin', disabledAt: new Date().toISOString() }
          : {}),
        ...(reenabled ? { disabledReason: null, disabledAt: null, failingSince: null } : {}),
      });
      await recordAudit(repos, orgId, actor, {
        action: 'webhook_endpoint.updated',
        target: { type: 'webhook_endpoint', id, label: url ?? current.url },
        data: { ...change, ...(eventTypes !== undefined ? { eventTypes } : {}) },
      });
    });
    this.changed();
    return this.get(orgId, id);
  }

  /** A new secret (shown once); the old one stops signing at once. */
  async rotateSecret(orgId: string, id: string, actor: Actor): Promise<string> {
    const current = await this.found(orgId, id);
    if (current.format !== 'webhook') {
      throw new InvalidInputError(
        'webhook.no_secret',
        'A SET endpoint has no secret: its tokens are signed with the service key',
      );
    }
    const secret = newWebhookSecret();
    await this.store.transaction(async (repos) => {
      await repos.webhooks.updateEndpoint(orgId, id, { secretSealed: this.box.seal(secret) });
      await recordAudit(repos, orgId, actor, {
        action: 'webhook_endpoint.secret_rotated',
        target: { type: 'webhook_endpoint', id, label: current.url },
      });
    });
    this.changed();
    return secret;
  }

  async delete(orgId: string, id: string, actor: Actor): Promise<void> {
    const current = await this.found(orgId, id);
    await this.store.transaction(async (repos) => {
      await repos.webhooks.deleteEndpoint(orgId, id);
      await recordAudit(repos, orgId, actor, {
        action: 'webhook_endpoint.deleted',
        target: { type: 'webhook_endpoint', id, label: current.url },
      });
    });
    this.changed();
  }

  /** The delivery log, newest first. */
  async deliveries(orgId: string, id: string, options: { limit: number; before?: string }): Promise<WebhookDelivery[]> {
    await this.found(orgId, id);
    return this.store.repos.webhooks.deliveries(id, options.limit, options.before);
  }

  /** Sends an event again (a new delivery, after the user's earlier ones). */
  async redeliver(orgId: string, id: string, deliveryId: string, actor: Actor): Promise<void> {
    const endpoint = await this.found(orgId, id);
    const delivery = await this.store.repos.webhooks.delivery(id, deliveryId);
    if (!delivery) throw new NotFoundError('delivery', deliveryId);
    await this.store.transaction(async (repos) => {
      await repos.webhooks.insertDeliveries(
        [
          {
            endpointId: id,
            orgId,
            eventSeq: delivery.eventSeq,
            eventId: delivery.eventId,
            eventType: delivery.eventType,
            orderKey: delivery.orderKey,
          },
        ],
        new Date().toISOString(),
      );
      await recordAudit(repos, orgId, actor, {
        action: 'webhook_endpoint.redelivered',
        target: { type: 'webhook_endpoint', id, label: endpoint.url },
        data: { eventId: delivery.eventId, eventType: delivery.eventType },
      });
    });
  }
}

/**
 * Webhook endpoints: where the org's events are pushed (signed per Standard Webhooks, or
 * as Security Event Tokens for Shared Signals receivers), their delivery logs, redelivery.
 * Admins and Owners.
 */
import { z } from 'zod';
import { EVENT_TYPES } from '../../events/event-catalog.js';
import type { AdminApiDeps } from '../deps.js';
import { PageQuery, decodeCursor, encodeCursor, route, type AdminRoute } from '../route-table.js';
import { Id, Timestamp } from '../schemas.js';

const Endpoint = z.object({
  id: z.string(),
  url: z.string(),
  format: z.enum(['webhook', 'set']),
  eventTypes: z.array(z.enum(EVENT_TYPES)).nullable().describe('null: every type'),
  description: z.string().nullable(),
  audience: z.string().nullable().describe('set endpoints: the aud of their tokens (default: the URL)'),
  enabled: z.boolean(),
  disabledReason: z.string().nullable(),
  disabledAt: Timestamp.nullable(),
  failingSince: Timestamp.nullable(),
  lastSuccessAt: Timestamp.nullable(),
  createdAt: Timestamp,
});

const Delivery = z.object({
  id: z.string(),
  eventId: z.string(),
  eventType: z.string(),
  state: z.enum(['pending', 'delivering', 'delivered', 'failed']),
  attempts: z.number(),
  nextAttemptAt: Timestamp,
  lastStatus: z.number().nullable().describe('the HTTP status of the last attempt'),
  lastError: z.string().nullable(),
  lastDurationMs: z.number().nullable(),
  createdAt: Timestamp,
  finishedAt: Timestamp.nullable(),
});

const EventTypes = z.array(z.string().max(64)).max(EVENT_TYPES.length).nullable().optional();

export function webhookRoutes({ services }: AdminApiDeps): AdminRoute[] {
  const webhooks = services.webhooks;
  return [
    route({
      method: 'get',
      path: '/webhooks',
      operationId: 'listWebhookEndpoints',
      summary: "List the org's webhook endpoints (never their secrets)",
      tag: 'webhooks',
      role: 'Admin',
      response: z.object({ items: z.array(Endpoint) }),
      handle: async ({ caller }) => ({ items: await webhooks.list(caller.orgId) }),
    }),
    route({
      method: 'post',
      path: '/webhooks',
      operationId: 'createWebhookEndpoint',
      summary: 'Add a webhook endpoint; its signing secret is shown once',
      tag: 'webhooks',
      role: 'Admin',
      status: 201,
      body: z.object({
        url: z.string().max(2048),
        format: z.enum(['webhook', 'set']).default('webhook'),
        eventTypes: EventTypes,
        description: z.string().max(512).nullable().optional(),
        audience: z.string().max(512).nullable().optional(),
      }),
      response: z.object({
        endpoint: Endpoint,
        secret: z
          .string()
          .nullable()
          .describe('webhook endpoints: the Standard Webhooks secret (whsec_...), shown once'),
      }),
      handle: ({ caller, body }) => webhooks.create(caller.orgId, body, caller.actor),
    }),
    route({
      method: 'get',
      path: '/webhooks/{endpointId}',
      operationId: 'getWebhookEndpoint',
      summary: 'Show a webhook endpoint',
      tag: 'webhooks',
      role: 'Admin',
      params: z.object({ endpointId: Id }),
      response: Endpoint,
      handle: ({ caller, params }) => webhooks.get(caller.orgId, params.endpointId),
    }),
    route({
      method: 'patch',
      path: '/webhooks/{endpointId}',
      operationId: 'updateWebhookEndpoint',
      summary: 'Change an endpoint: URL, event types, description, or turn it off and on',
      tag: 'webhooks',
      role: 'Admin',
      params: z.object({ endpointId: Id }),
      body: z.object({
        url: z.string().max(2048).optional(),
        eventTypes: EventTypes,
        description: z.string().max(512).nullable().optional(),
        audience: z.string().max(512).nullable().optional(),
        enabled: z.boolean().optional(),
      }),
      response: Endpoint,
      handle: ({ caller, params, body }) => webhooks.update(caller.orgId, params.endpointId, body, caller.actor),
    }),
    route({
      method: 'post',
      path: '/webhooks/{endpointId}/secret',
      operationId: 'rotateWebhookSecret',
      summary: 'Replace the signing secret (shown once); the old one stops signing at once',
      tag: 'webhooks',
      role: 'Admin',
      params: z.object({ endpointId: Id }),
      response: z.object({ secret: z.string() }),
      handle: async ({ caller, params }) => ({
        secret: await webhooks.rotateSecret(caller.orgId, params.endpointId, caller.actor),
      }),
    }),
    route({
      method: 'delete',
      path: '/webhooks/{endpointId}',
      operationId: 'deleteWebhookEndpoint',
      summary: 'Remove an endpoint and its delivery log',
      tag: 'webhooks',
      role: 'Admin',
      params: z.object({ endpointId: Id }),
      status: 204,
      handle: async ({ caller, params }) => {
        await webhooks.delete(caller.orgId, params.endpointId, caller.actor);
      },
    }),
    route({
      method: 'get',
      path: '/webhooks/{endpointId}/deliveries',
      operationId: 'listWebhookDeliveries',
      summary: 'The delivery log, newest first: each event, its state, attempts and last status',
      tag: 'webhooks',
      role: 'Admin',
      params: z.object({ endpointId: Id }),
      query: PageQuery,
      response: z.object({ items: z.array(Delivery), nextCursor: z.string().nullable() }),
      handle: async ({ caller, params, query }) => {
        const before = decodeCursor(query.cursor, ['before']);
        const rows = await webhooks.deliveries(caller.orgId, params.endpointId, {
          limit: query.limit + 1,
          ...(before ? { before: before.before } : {}),
        });
        const items = rows
          .slice(0, query.limit)
          .map(({ endpointId: _e, orgId: _o, eventSeq: _s, orderKey: _k, ...d }) => d);
        const last = items[items.length - 1];
        return { items, nextCursor: rows.length > query.limit && last ? encodeCursor({ before: last.id }) : null };
      },
    }),
    route({
      method: 'post',
      path: '/webhooks/{endpointId}/deliveries/{deliveryId}/redeliver',
      operationId: 'redeliverWebhook',
      summary: "Send a delivery's event again (after the user's earlier events)",
      tag: 'webhooks',
      role: 'Admin',
      params: z.object({ endpointId: Id, deliveryId: Id }),
      status: 204,
      handle: async ({ caller, params }) => {
        await webhooks.redeliver(caller.orgId, params.endpointId, params.deliveryId, caller.actor);
      },
    }),
  ];
}

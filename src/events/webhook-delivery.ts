/**
 * Delivers events to webhook endpoints, on every instance that runs it (each delivery is
 * claimed by one at a time; store/repositories/webhooks.ts). Each tick, per enabled endpoint:
 *  1. dispatch: under the endpoint's row lock, read the outbox after its cursor, add a
 *     delivery for each event it wants, move the cursor (one transaction: none lost, none twice);
 *  2. deliver: claim what is due, up to the endpoint's concurrency, and send it; a slow
 *     endpoint fills only its own slots, never the others'.
 *
 * What is guaranteed: every event an endpoint wants is delivered at least once while the
 * endpoint is enabled (an instance killed mid-delivery leaves a claim that expires, and the
 * delivery is sent again); one user's events reach one endpoint in the order they were
 * committed, each only after the previous one was answered 2xx or given up; across users
 * there is no order. Retries back off exponentially with jitter for about three days; 429
 * and 503 wait what Retry-After says; 410 disables the endpoint; an endpoint that has failed
 * for three days is disabled, with an audit event.
 */
import { Webhook } from 'standardwebhooks';
import { recordAudit } from '../audit/audit-log.js';
import { SYSTEM_ACTOR } from '../domain/actor.js';
import { OutboundError, type GuardedFetch } from '../outbound/guarded-fetch.js';
import type { AccessTokenService } from '../sso/access-tokens.js';
import type { SecretBox } from '../sso/secret-box.js';
import type { EventPosition, StoredEvent } from '../store/repositories/events.js';
import type { AttemptResult, WebhookDelivery, WebhookEndpoint } from '../store/repositories/webhooks.js';
import type { Store } from '../store/store.js';
import type { Logger } from '../telemetry/logger.js';
import { SET_EVENT_TYPES, securityEventClaims, webhookRequest, type OutgoingRequest } from './webhook-message.js';

/** Seconds before each retry (then jitter of ±20%): about three days in all. */
export const RETRY_SCHEDULE_S = [
  5, 30, 120, 600, 1800, 3600, 7200, 14_400, 28_800, 43_200, 43_200, 43_200, 43_200, 43_200,
] as const;
/** An endpoint failing this long without a success is disabled. */
export const DISABLE_AFTER_MS = 3 * 86_400_000;
const MAX_RETRY_AFTER_S = 86_400;
const LIST_EVERY_MS = 1_000;
const CLAIM_EVERY_MS = 1_000;

export interface DeliveryOptions {
  /** Milliseconds between ticks (default 50). */
  readonly intervalMs?: number;
  /** Deliveries in flight per endpoint (default 128). */
  readonly concurrency?: number;
  /** A claim not answered in this long is taken again (an instance died). */
  readonly claimMs?: number;
  readonly timeoutMs?: number;
  readonly random?: () => number;
}

/** When the next attempt goes, after `attempts` attempts (with jitter). */
export function nextAttemptDelayMs(attempts: number, random: () => number = Math.random): number | undefined {
  const base = RETRY_SCHEDULE_S[attempts - 1];
  if (base === undefined) return undefined;
  return Math.round(base * 1000 * (0.8 + 0.4 * random()));
}

function retryAfterMs(header: string | null, now: number): number | undefined {
  if (!header) return undefined;
  const seconds = /^\d+$/.test(header.trim()) ? Number(header) : (Date.parse(header) - now) / 1000;
  if (!Number.isFinite(seconds) || seconds < 0) return undefined;
  return Math.min(seconds, MAX_RETRY_AFTER_S) * 1000;
}

interface EndpointState {
  inFlight: number;
  /** When this instance last claimed for the endpoint. */
  claimedAt: number;
  /** The endpoint's cursor as this instance last saw it. */
  cursor: EventPosition | undefined;
  /** A claim is under way (a refill waits for it rather than claiming alongside). */
  claiming: boolean;
  /** When this instance last recorded a success (one write a minute, not one per batch). */
  markedAt: number;
}

export class WebhookDeliverer {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly endpoints = new Map<string, EndpointState>();
  /** The enabled endpoints, read at most every LIST_EVERY_MS. */
  private listed: { at: number; endpoints: WebhookEndpoint[] } | undefined;
  /** `drain` is running: every tick claims, and the endpoint list is read afresh. */
  private draining = false;
  private readonly signers = new Map<string, { sealed: string; webhook: Webhook }>();
  private readonly pending = new Set<Promise<void>>();
  private readonly intervalMs: number;
  private readonly concurrency: number;
  private readonly claimMs: number;
  private readonly timeoutMs: number;
  private readonly random: () => number;

  constructor(
    private readonly store: Store,
    private readonly outbound: GuardedFetch,
    private readonly box: SecretBox,
    private readonly accessTokens: AccessTokenService,
    options: DeliveryOptions = {},
    private readonly logger?: Logger,
  ) {
    this.intervalMs = options.intervalMs ?? 50;
    this.concurrency = options.concurrency ?? 128;
    this.claimMs = options.claimMs ?? 60_000;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.random = options.random ?? Math.random;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
  }

  /** Stops ticking and waits for the deliveries in flight. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
    await Promise.allSettled([...this.pending]);
  }

  /** Endpoints were added or changed on this instance: read them afresh at the next tick. */
  endpointsChanged(): void {
    this.listed = undefined;
  }

  /** One round over every enabled endpoint (overlapping calls share the round in progress). */
  tick(): Promise<void> {
    this.running ??= this.round()
      .catch((error: unknown) => this.logger?.warn({ err: error }, 'webhook delivery round failed; retrying'))
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  /**
   * Ticks until nothing can be sent now to these endpoints (default: every enabled one):
   * retries not due yet are left for later (tests, benchmarks).
   */
  async drain(timeoutMs = 30_000, endpointIds?: readonly string[]): Promise<void> {
    const until = Date.now() + timeoutMs;
    this.draining = true;
    this.listed = undefined;
    try {
      return await this.drainUntil(until, endpointIds);
    } finally {
      this.draining = false;
    }
  }

  private async drainUntil(until: number, endpointIds?: readonly string[]): Promise<void> {
    while (Date.now() < until) {
      await this.tick();
      await Promise.allSettled([...this.pending]);
      const endpoints = (await this.store.repos.webhooks.enabledEndpoints()).filter(
        (e) => !endpointIds || endpointIds.includes(e.id),
      );
      // Owed: deliveries that can go now, or committed events not yet turned into deliveries
      // (the feed holds an event back while any older transaction in the cluster still runs).
      const owed = await Promise.all(
        endpoints.map(
          async (e) =>
            (await this.store.repos.webhooks.dueBacklog(e.id)) > 0 ||
            (await this.store.repos.events.anyAfter(e.orgId, e.cursor)),
        ),
      );
      if (!owed.some(Boolean)) return;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  private async round(): Promise<void> {
    const now = Date.now();
    if (!this.listed || now - this.listed.at >= LIST_EVERY_MS) {
      this.listed = { at: now, endpoints: await this.store.repos.webhooks.enabledEndpoints() };
    }
    for (const endpoint of this.listed.endpoints) {
      const state = this.stateOf(endpoint.id);
      const dispatched = await this.dispatch(endpoint, state);
      // Claims go when there is something new, and at least every second for retries now due.
      if (dispatched || this.draining || now - state.claimedAt >= CLAIM_EVERY_MS) await this.deliver(endpoint);
    }
  }

  private stateOf(endpointId: string): EndpointState {
    let state = this.endpoints.get(endpointId);
    if (!state) {
      state = { inFlight: 0, claiming: false, markedAt: 0, claimedAt: 0, cursor: undefined };
      this.endpoints.set(endpointId, state);
    }
    return state;
  }

  /**
   * Turns the outbox's new events into this endpoint's deliveries (under its row lock);
   * true when it added any.
   */
  private async dispatch(endpoint: WebhookEndpoint, state: EndpointState): Promise<boolean> {
    // Nothing new past the cursor last seen: no transaction, no lock (the common, idle case).
    const seen = state.cursor ?? endpoint.cursor;
    if ((await this.store.repos.events.after(endpoint.orgId, seen, 1)).length === 0) return false;
    let added = false;
    for (let round = 0; round < 10; round++) {
      const more = await this.store.transaction(async (repos) => {
        const locked = await repos.webhooks.lockForDispatch(endpoint.id);
        if (!locked) return false;
        state.cursor = locked.cursor;
        const events = await repos.events.after(locked.orgId, locked.cursor, 1000);
        const last = events[events.length - 1];
        if (!last) return false;
        const wanted = events.filter((e) => this.wants(locked, e));
        await repos.webhooks.insertDeliveries(
          wanted.map((e) => ({
            endpointId: locked.id,
            orgId: locked.orgId,
            eventSeq: e.position.seq,
            eventId: e.id,
            eventType: e.type,
            orderKey: e.subjectUserId,
          })),
          new Date().toISOString(),
        );
        await repos.webhooks.updateEndpoint(locked.orgId, locked.id, { cursor: last.position });
        state.cursor = last.position;
        added ||= wanted.length > 0;
        return events.length === 1000;
      });
      if (!more) break;
    }
    return added;
  }

  private wants(endpoint: WebhookEndpoint, event: StoredEvent): boolean {
    if (endpoint.format === 'set' && !SET_EVENT_TYPES.includes(event.type)) return false;
    return endpoint.eventTypes === null || endpoint.eventTypes.includes(event.type);
  }

  private async deliver(endpoint: WebhookEndpoint): Promise<void> {
    const state = this.stateOf(endpoint.id);
    const room = this.concurrency - state.inFlight;
    if (room <= 0 || state.claiming) return;
    const now = Date.now();
    state.claiming = true;
    state.claimedAt = now;
    const claimed = await this.store.repos.webhooks
      .claim(endpoint.id, new Date(now).toISOString(), new Date(now + this.claimMs).toISOString(), room)
      .finally(() => {
        state.claiming = false;
      });
    if (claimed.length === 0) return;
    const events = this.store.repos.events;
    state.inFlight += claimed.length;
    const work = Promise.all(
      claimed.map(async ({ delivery, event }) => ({
        delivery,
        result: await this.attempt(endpoint, delivery, event ? events.eventOf(event) : undefined),
      })),
    )
      .then((results) => this.finish(endpoint, results))
      .catch((error: unknown) =>
        this.logger?.warn({ err: error, endpoint: endpoint.id }, 'webhook results not recorded'),
      )
      .finally(() => {
        state.inFlight -= claimed.length;
        this.pending.delete(work);
        // A full batch answered: more is likely waiting; claim it now rather than at the next
        // tick (under a steady trickle, the tick gathers it into fewer, larger claims).
        if (this.timer && claimed.length === room) this.refill(endpoint);
      });
    this.pending.add(work);
  }

  private refill(endpoint: WebhookEndpoint): void {
    const next: Promise<void> = this.deliver(endpoint)
      .catch((error: unknown) =>
        this.logger?.warn({ err: error, endpoint: endpoint.id }, 'webhook delivery failed; retrying'),
      )
      .finally(() => this.pending.delete(next));
    this.pending.add(next);
  }

  private async request(endpoint: WebhookEndpoint, event: StoredEvent): Promise<OutgoingRequest | undefined> {
    if (endpoint.format === 'set') {
      const claims = securityEventClaims(event);
      if (!claims) return undefined;
      const jwt = await this.accessTokens.signSecurityEvent(claims, event.id, endpoint.audience ?? endpoint.url);
      return {
        body: jwt,
        headers: {
          'content-type': 'application/secevent+jwt',
          accept: 'application/json',
          'user-agent': 'identity-bridge-ssf',
        },
      };
    }
    return webhookRequest(event, this.signer(endpoint), new Date());
  }

  private signer(endpoint: WebhookEndpoint): Webhook {
    const sealed = endpoint.secretSealed ?? '';
    const cached = this.signers.get(endpoint.id);
    if (cached && cached.sealed === sealed) return cached.webhook;
    const webhook = new Webhook(this.box.open(sealed));
    this.signers.set(endpoint.id, { sealed, webhook });
    return webhook;
  }

  private async attempt(
    endpoint: WebhookEndpoint,
    delivery: WebhookDelivery,
    event: StoredEvent | undefined,
  ): Promise<AttemptResult> {
    const started = Date.now();
    const failed = (error: string, status: number | null = null): AttemptResult => ({
      kind: 'failed',
      status,
      error,
      durationMs: Date.now() - started,
    });
    if (!event) return failed('the event is no longer kept (past the retention period)');
    const request = await this.request(endpoint, event);
    if (!request) return failed(`a ${endpoint.format} endpoint does not receive ${event.type}`);
    const retry = (error: string, status: number | null, waitMs?: number): AttemptResult => {
      const delay = waitMs ?? nextAttemptDelayMs(delivery.attempts, this.random);
      const age = Date.now() - Date.parse(delivery.createdAt);
      if (delay === undefined || age + delay > DISABLE_AFTER_MS + 86_400_000) {
        return failed(`${error}; gave up after ${delivery.attempts} attempts`, status);
      }
      return {
        kind: 'retry',
        status,
        error,
        durationMs: Date.now() - started,
        nextAttemptAt: new Date(Date.now() + delay).toISOString(),
      };
    };
    try {
      const answer = await this.outbound.post(endpoint.url, request.body, request.headers, {
        timeoutMs: this.timeoutMs,
        maxBytes: 64 * 1024,
        httpsOnly: true,
      });
      const status = answer.status;
      const durationMs = Date.now() - started;
      if (status >= 200 && status < 300) return { kind: 'delivered', status, durationMs };
      if (status === 410) return failed('the endpoint answered 410 Gone', status);
      if (endpoint.format === 'set' && status === 400) {
        return failed(`the receiver refused the SET: ${answer.body.toString('utf8').slice(0, 200)}`, status);
      }
      if (status === 429 || status === 503) {
        const wait = retryAfterMs(answer.headers.get('retry-after'), Date.now());
        return retry(`the endpoint answered ${status}`, status, wait);
      }
      if (status >= 300 && status < 400)
        return retry(`the endpoint answered ${status} (redirects are not followed)`, status);
      return retry(`the endpoint answered ${status}`, status);
    } catch (error) {
      const message = error instanceof OutboundError ? error.message : 'the request failed';
      return retry(message, null);
    }
  }

  private async finish(
    endpoint: WebhookEndpoint,
    results: ReadonlyArray<{ delivery: WebhookDelivery; result: AttemptResult }>,
  ): Promise<void> {
    const now = new Date().toISOString();
    const repos = this.store.repos.webhooks;
    await repos.recordResults(
      results.map((r) => ({ id: r.delivery.id, result: r.result })),
      now,
    );
    if (results.some((r) => r.result.status === 410)) {
      await this.disable(endpoint, 'The endpoint answered 410 Gone: it asked not to be sent more');
      return;
    }
    const state = this.endpoints.get(endpoint.id);
    if (results.some((r) => r.result.kind === 'delivered')) {
      if (state && Date.now() - state.markedAt > 60_000) {
        await repos.markEndpointSucceeded(endpoint.id, now);
        state.markedAt = Date.now();
      }
      return;
    }
    if (state) state.markedAt = 0;
    const failingSince = await repos.markEndpointFailing(endpoint.id, now);
    if (Date.now() - Date.parse(failingSince) >= DISABLE_AFTER_MS) {
      await this.disable(endpoint, `Every delivery has failed since ${failingSince}`);
    }
  }

  private async disable(endpoint: WebhookEndpoint, reason: string): Promise<void> {
    const at = new Date().toISOString();
    await this.store.transaction(async (repos) => {
      await repos.webhooks.updateEndpoint(endpoint.orgId, endpoint.id, {
        enabled: false,
        disabledReason: reason,
        disabledAt: at,
      });
      await recordAudit(repos, endpoint.orgId, SYSTEM_ACTOR, {
        action: 'webhook_endpoint.disabled',
        target: { type: 'webhook_endpoint', id: endpoint.id, label: endpoint.url },
        data: { reason },
      });
    });
    this.logger?.warn({ endpoint: endpoint.id, reason }, 'webhook endpoint disabled');
  }
}

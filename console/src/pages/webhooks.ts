/**
 * Webhooks: where the org's events are pushed. Add an endpoint (its signing secret shown
 * once), see whether each is healthy, turn it off and on, remove it after confirming; and
 * per endpoint its delivery log (status codes, attempts, errors) with a Redeliver button.
 */
import { api, describeError } from '../api.js';
import type { PageContext } from '../app.js';
import { busy, copyable, field, h, table, when } from '../dom.js';

interface EndpointView {
  readonly id: string;
  readonly url: string;
  readonly format: 'webhook' | 'set';
  readonly eventTypes: string[] | null;
  readonly description: string | null;
  readonly enabled: boolean;
  readonly disabledReason: string | null;
  readonly failingSince: string | null;
  readonly lastSuccessAt: string | null;
  readonly createdAt: string;
}

interface DeliveryView {
  readonly id: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly state: string;
  readonly attempts: number;
  readonly nextAttemptAt: string;
  readonly lastStatus: number | null;
  readonly lastError: string | null;
  readonly createdAt: string;
}

const TYPES = [
  'user.created',
  'user.updated',
  'user.deactivated',
  'user.reactivated',
  'user.deleted',
  'group.created',
  'group.updated',
  'group.deleted',
  'group.members_added',
  'group.members_removed',
  'access.changed',
  'session.revoked',
  'connection.created',
  'connection.updated',
  'token.revoked',
];

function health(e: EndpointView): string {
  if (!e.enabled) return `Off: ${e.disabledReason ?? 'turned off'}`;
  if (e.failingSince) return `Failing since ${when(e.failingSince)}; retrying`;
  return e.lastSuccessAt ? `Healthy: last delivery ${when(e.lastSuccessAt)}` : 'Waiting for its first event';
}

function deliveryState(d: DeliveryView): string {
  if (d.state === 'pending' && d.attempts > 0) return `retrying ${when(d.nextAttemptAt)}`;
  return d.state;
}

async function deliveryLog(endpoint: EndpointView): Promise<HTMLElement> {
  const box = h('section', { class: 'card', 'data-testid': 'webhook-deliveries' });
  const render = async (): Promise<void> => {
    const { items } = await api<{ items: DeliveryView[] }>('GET', `/webhooks/${endpoint.id}/deliveries?limit=50`);
    box.replaceChildren(
      h('h3', {}, `Deliveries to ${endpoint.url}`),
      items.length === 0
        ? h('p', { class: 'muted' }, 'No delivery yet.')
        : table(
            ['Event', 'When', 'State', 'Attempts', 'Status', 'Error', ''],
            items.map((d) => [
              h('span', { title: d.eventId }, d.eventType),
              when(d.createdAt),
              deliveryState(d),
              String(d.attempts),
              d.lastStatus === null ? '–' : String(d.lastStatus),
              d.lastError ?? '',
              h(
                'button',
                {
                  type: 'button',
                  class: 'secondary small',
                  'aria-label': `Redeliver ${d.eventType} ${d.eventId}`,
                  onclick: async () => {
                    await api('POST', `/webhooks/${endpoint.id}/deliveries/${d.id}/redeliver`);
                    await render();
                  },
                },
                'Redeliver',
              ),
            ]),
            'webhook-delivery-list',
          ),
    );
  };
  await render();
  return box;
}

export async function webhooksPage(ctx: PageContext): Promise<void> {
  const list = h('section', { class: 'card', 'data-testid': 'webhooks' });
  const log = h('div', {});
  const render = async (): Promise<void> => {
    const { items } = await api<{ items: EndpointView[] }>('GET', '/webhooks');
    const rows = items.map((e) => [
      h('code', { title: e.id }, e.url),
      e.format === 'set' ? 'Security Event Tokens' : 'Webhook',
      e.eventTypes?.join(', ') ?? 'every event',
      health(e),
      h(
        'span',
        { class: 'actions' },
        h(
          'button',
          {
            type: 'button',
            class: 'secondary small',
            onclick: async () => log.replaceChildren(await deliveryLog(e)),
          },
          'Deliveries',
        ),
        h(
          'button',
          {
            type: 'button',
            class: 'secondary small',
            onclick: async () => {
              if (
                e.enabled &&
                !window.confirm(`Turn off ${e.url}? Events are not sent to it until it is turned on again.`)
              )
                return;
              await api('PATCH', `/webhooks/${e.id}`, { enabled: !e.enabled });
              await render();
            },
          },
          e.enabled ? 'Turn off' : 'Turn on',
        ),
        h(
          'button',
          {
            type: 'button',
            class: 'danger small',
            'aria-label': `Remove ${e.url}`,
            onclick: async () => {
              if (!window.confirm(`Remove ${e.url}? It receives nothing more and its delivery log is deleted.`)) return;
              await api('DELETE', `/webhooks/${e.id}`);
              log.replaceChildren();
              await render();
            },
          },
          'Remove',
        ),
      ),
    ]);
    list.replaceChildren(
      h('h2', {}, 'Endpoints'),
      items.length === 0
        ? h('p', { class: 'muted' }, 'No endpoint yet: add one below to push events to a factory service.')
        : table(['URL', 'Format', 'Events', 'Health', ''], rows, 'webhook-list'),
    );
  };

  const url = h('input', {
    name: 'url',
    type: 'url',
    required: true,
    placeholder: 'https://factory.example.com/hooks',
  });
  const format = h(
    'select',
    { name: 'format' },
    h('option', { value: 'webhook' }, 'Webhook (Standard Webhooks signature)'),
    h('option', { value: 'set' }, 'Security Event Tokens (Shared Signals: session revoked, credential change)'),
  );
  const types = h(
    'fieldset',
    { class: 'checks' },
    h('legend', {}, 'Events (none ticked: every event)'),
    ...TYPES.map((t) => h('label', {}, h('input', { type: 'checkbox', name: 'type', value: t }), ` ${t}`)),
  );
  const error = h('p', { class: 'error', role: 'alert', hidden: true });
  const added = h('div', { 'data-testid': 'webhook-added' });
  const add = h('button', { type: 'submit' }, 'Add endpoint');
  const form = h(
    'form',
    {
      onsubmit: async (e: Event) => {
        e.preventDefault();
        error.hidden = true;
        const chosen = [...types.querySelectorAll<HTMLInputElement>('input:checked')].map((i) => i.value);
        try {
          const result = await busy(add, 'Adding…', () =>
            api<{ endpoint: EndpointView; secret: string | null }>('POST', '/webhooks', {
              url: url.value.trim(),
              format: format.value,
              ...(chosen.length ? { eventTypes: chosen } : {}),
            }),
          );
          await render();
          added.replaceChildren(
            result.secret
              ? h(
                  'div',
                  { class: 'notice' },
                  h('strong', {}, 'Copy the signing secret now: it is shown only once. '),
                  copyable(result.secret, 'webhook-secret'),
                  h(
                    'p',
                    { class: 'muted' },
                    'Verify each delivery with any Standard Webhooks library and this secret.',
                  ),
                )
              : h(
                  'div',
                  { class: 'notice' },
                  'Tokens are signed with the service key: the receiver verifies them at /.well-known/jwks.json.',
                ),
          );
          url.value = '';
        } catch (err) {
          error.hidden = false;
          error.textContent = describeError(err);
        }
      },
    },
    field('URL', url, 'https; the service refuses private and internal addresses'),
    field('Format', format),
    types,
    add,
  );
  await render();
  ctx.main.append(
    h('h1', {}, 'Webhooks'),
    h(
      'p',
      { class: 'muted' },
      'Every change to people, groups and access is an event. Endpoints receive them signed, at least once, each person’s events in order; failed deliveries are retried for about three days.',
    ),
    list,
    h('section', { class: 'card' }, h('h2', {}, 'Add an endpoint'), form, error, added),
    log,
  );
}

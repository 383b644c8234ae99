/**
 * `webhook add|list|update|remove|rotate-secret|deliveries|redeliver`: where an org's events
 * are pushed. A webhook endpoint's signing secret is shown once, when added or rotated.
 */
import { Option } from 'commander';
import { CLI_ACTOR } from '../../domain/actor.js';
import type { EndpointView } from '../../events/webhook-endpoints.js';
import type { CliCommands } from '../context.js';
import { printResult, table } from '../io.js';
import { withOrg, type OrgOptions } from '../options.js';

interface AddOptions extends OrgOptions {
  url: string;
  format: 'webhook' | 'set';
  type?: string[];
  description?: string;
  audience?: string;
}

interface UpdateOptions extends OrgOptions {
  url?: string;
  type?: string[];
  allTypes?: boolean;
  enable?: boolean;
  disable?: boolean;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

const listed = (endpoints: readonly EndpointView[]): string =>
  table(
    endpoints.map((e) => ({
      ...e,
      eventTypes: e.eventTypes?.join(',') ?? 'all',
      state: e.enabled ? 'enabled' : `disabled: ${e.disabledReason ?? ''}`,
      lastSuccessAt: e.lastSuccessAt ?? '-',
    })),
    ['id', 'format', 'url', 'eventTypes', 'state', 'lastSuccessAt'],
  );

export const webhookCommands: CliCommands = (program, { io, inOrg }) => {
  const webhook = program.command('webhook').description("webhook endpoints: where the org's events are pushed");
  withOrg(webhook.command('add').description('add an endpoint (a webhook endpoint’s signing secret is shown once)'))
    .requiredOption('--url <url>', 'https URL the events are POSTed to')
    .addOption(
      new Option('--format <format>', 'webhook (Standard Webhooks) or set (Security Event Tokens, RFC 8417/8935)')
        .choices(['webhook', 'set'])
        .default('webhook'),
    )
    .option('--type <type>', 'an event type to send (repeat; default: every type)', collect)
    .option('--description <text>', 'what the endpoint is for')
    .option('--audience <aud>', 'set endpoints: the aud of their tokens (default: the URL)')
    .action(async (opts: AddOptions) => {
      const added = await inOrg(opts.org, (s, orgId) =>
        s.webhooks.create(
          orgId,
          {
            url: opts.url,
            format: opts.format,
            eventTypes: opts.type ?? null,
            ...(opts.description ? { description: opts.description } : {}),
            ...(opts.audience ? { audience: opts.audience } : {}),
          },
          CLI_ACTOR,
        ),
      );
      printResult(io, opts.json, added, () =>
        [
          `added ${added.endpoint.format} endpoint ${added.endpoint.id} for ${added.endpoint.url}`,
          ...(added.secret
            ? [`signing secret (shown once; verify with any Standard Webhooks library): ${added.secret}`]
            : ['tokens are signed with the service key: verify them at /.well-known/jwks.json']),
        ].join('\n'),
      );
    });
  withOrg(webhook.command('list').description("list the org's endpoints (never their secrets)")).action(
    async (opts: OrgOptions) => {
      const endpoints = await inOrg(opts.org, (s, orgId) => s.webhooks.list(orgId));
      printResult(io, opts.json, endpoints, () => (endpoints.length ? listed(endpoints) : 'No webhook endpoint.'));
    },
  );
  withOrg(webhook.command('update').description('change an endpoint, or turn it off and on'))
    .argument('<id>', 'endpoint id')
    .option('--url <url>', 'a new URL')
    .option('--type <type>', 'the event types to send (repeat)', collect)
    .option('--all-types', 'send every type')
    .option('--enable', 'turn it on (again)')
    .option('--disable', 'turn it off')
    .action(async (id: string, opts: UpdateOptions) => {
      const updated = await inOrg(opts.org, (s, orgId) =>
        s.webhooks.update(
          orgId,
          id,
          {
            ...(opts.url ? { url: opts.url } : {}),
            ...(opts.allTypes ? { eventTypes: null } : opts.type ? { eventTypes: opts.type } : {}),
            ...(opts.enable ? { enabled: true } : opts.disable ? { enabled: false } : {}),
          },
          CLI_ACTOR,
        ),
      );
      printResult(io, opts.json, updated, () => listed([updated]));
    });
  withOrg(webhook.command('remove').description('remove an endpoint and its delivery log'))
    .argument('<id>', 'endpoint id')
    .action(async (id: string, opts: OrgOptions) => {
      await inOrg(opts.org, (s, orgId) => s.webhooks.delete(orgId, id, CLI_ACTOR));
      printResult(io, opts.json, { removed: id }, () => `removed endpoint ${id}`);
    });
  withOrg(webhook.command('rotate-secret').description('replace the signing secret (shown once)'))
    .argument('<id>', 'endpoint id')
    .action(async (id: string, opts: OrgOptions) => {
      const secret = await inOrg(opts.org, (s, orgId) => s.webhooks.rotateSecret(orgId, id, CLI_ACTOR));
      printResult(io, opts.json, { secret }, () => `new signing secret (shown once): ${secret}`);
    });
  withOrg(webhook.command('deliveries').description('the delivery log, newest first'))
    .argument('<id>', 'endpoint id')
    .option('--limit <n>', 'how many', '50')
    .action(async (id: string, opts: OrgOptions & { limit: string }) => {
      const limit = Math.max(1, Math.min(Number.parseInt(opts.limit, 10) || 50, 500));
      const rows = await inOrg(opts.org, (s, orgId) => s.webhooks.deliveries(orgId, id, { limit }));
      printResult(io, opts.json, rows, () =>
        rows.length
          ? table(
              rows.map((d) => ({ ...d, lastStatus: d.lastStatus ?? '-', lastError: d.lastError ?? '' })),
              ['id', 'eventType', 'state', 'attempts', 'lastStatus', 'createdAt', 'lastError'],
            )
          : 'No delivery yet.',
      );
    });
  withOrg(webhook.command('redeliver').description("send a delivery's event again"))
    .argument('<id>', 'endpoint id')
    .argument('<delivery>', 'delivery id (from `webhook deliveries`)')
    .action(async (id: string, delivery: string, opts: OrgOptions) => {
      await inOrg(opts.org, (s, orgId) => s.webhooks.redeliver(orgId, id, delivery, CLI_ACTOR));
      printResult(io, opts.json, { redelivered: delivery }, () => `delivery ${delivery} queued again`);
    });
};

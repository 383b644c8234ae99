/** `audit list|export`: the audit log, newest first, as a table or as CSV. */
import { toCsv } from '../../audit/audit-csv.js';
import { CliFailure, type CliCommands } from '../context.js';
import { printResult, table } from '../io.js';
import { withOrg, type OrgOptions } from '../options.js';

interface AuditOptions extends OrgOptions {
  action?: string;
  actor?: string;
  target?: string;
  user?: string;
  since?: string;
  until?: string;
}

/** An ISO-8601 time as stored, or a refusal naming what was given. */
function instant(value: string, refusal: string): string {
  if (Number.isNaN(Date.parse(value))) throw new CliFailure(refusal, 2);
  return new Date(value).toISOString();
}

export const auditCommands: CliCommands = (program, { io, inOrg }) => {
  const audit = program.command('audit').description('the audit log');
  withOrg(audit.command('list').description('recent audit events, newest first'))
    .option('--action <action>', 'only this action, e.g. mapping.created')
    .option('--actor <id>', 'only this actor id')
    .option('--target <id>', 'only this target id')
    .option('--user <user>', 'only events about, by or naming this person (userName or id)')
    .option('--since <time>', 'ISO-8601 time')
    .option('--limit <n>', 'at most this many', '50')
    .action(async (opts: AuditOptions & { limit: string }) => {
      const limit = Number(opts.limit);
      const since =
        opts.since !== undefined
          ? instant(opts.since, `--since ${JSON.stringify(opts.since)} is not an ISO-8601 time`)
          : undefined;
      const events = await inOrg(opts.org, (s, orgId) =>
        s.auditTrail.list(orgId, {
          ...(opts.action ? { action: opts.action } : {}),
          ...(opts.actor ? { actorId: opts.actor } : {}),
          ...(opts.target ? { targetId: opts.target } : {}),
          ...(opts.user ? { user: opts.user } : {}),
          ...(since ? { since } : {}),
          limit: Number.isInteger(limit) && limit > 0 ? Math.min(limit, 10_000) : 50,
        }),
      );
      printResult(io, opts.json, events, () =>
        table(events, ['occurredAt', 'actorType', 'actorLabel', 'action', 'targetType', 'targetLabel']),
      );
    });

  withOrg(audit.command('export').description('audit events as CSV (newest first), on stdout'))
    .option('--action <action>', 'only this action')
    .option('--actor <actor>', "only this actor's id or label")
    .option('--target <id>', 'only this target id')
    .option('--user <user>', 'only events about, by or naming this person (userName or id)')
    .option('--since <time>', 'ISO-8601 time')
    .option('--until <time>', 'ISO-8601 time')
    .action(async (opts: AuditOptions) => {
      const [since, until] = [opts.since, opts.until].map((t) =>
        t === undefined ? undefined : instant(t, `${JSON.stringify(t)} is not an ISO-8601 time`),
      );
      const events = await inOrg(opts.org, (s, orgId) =>
        s.auditTrail.list(orgId, {
          ...(opts.action ? { action: opts.action } : {}),
          ...(opts.actor ? { actor: opts.actor } : {}),
          ...(opts.target ? { targetId: opts.target } : {}),
          ...(opts.user ? { user: opts.user } : {}),
          ...(since ? { since } : {}),
          ...(until ? { until } : {}),
          limit: 100_000,
        }),
      );
      io.stdout(opts.json ? `${JSON.stringify(events, null, 2)}\n` : toCsv(events));
    });
};

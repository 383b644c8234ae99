/** `access explain|check|history`: a user's effective access with its explanation, one decision, and their changes of access. */
import type { CliCommands } from '../context.js';
import { CliFailure } from '../context.js';
import { printResult } from '../io.js';

/** The exit status of `access check` when access is denied. */
export const ACCESS_DENIED_EXIT = 3;
import { withOrg, type OrgOptions } from '../options.js';

interface HistoryOptions extends OrgOptions {
  limit: string;
}

/** One history entry as a line: when, what changed, why. */
function historyLine(e: { occurredAt: string; summary: readonly string[]; causeText: string }): string {
  return `${e.occurredAt.replace('T', ' ').slice(0, 19)}Z  ${e.summary.join('; ')}. ${e.causeText}`;
}

interface CheckOptions extends OrgOptions {
  deviceGroup?: string;
  owner?: string;
  creator?: string;
}

export const accessCommands: CliCommands = (program, { io, inOrg }) => {
  const access = program.command('access').description('effective access and decisions');
  withOrg(access.command('explain').description("a user's effective access and where each part comes from"))
    .argument('<user>', 'user id or userName')
    .action(async (user: string, opts: OrgOptions) => {
      const explained = await inOrg(opts.org, (s, orgId) => s.access.explain(orgId, user));
      printResult(io, opts.json, explained, () => explained.explanation.join('\n'));
    });
  withOrg(access.command('history').description("a user's changes of access, newest first, with their causes"))
    .argument('<user>', 'user id or userName (a deleted user too)')
    .option('--limit <n>', 'how many changes', '50')
    .action(async (user: string, opts: HistoryOptions) => {
      const limit = Math.max(1, Math.min(Number.parseInt(opts.limit, 10) || 50, 1000));
      const page = await inOrg(opts.org, (s, orgId) => s.accessHistory.list(orgId, user, { limit }));
      printResult(io, opts.json, page, () =>
        page.items.length === 0
          ? `No change of access recorded for ${page.user.userName}.`
          : [`${page.user.userName}${page.user.deleted ? ' (deleted)' : ''}:`, ...page.items.map(historyLine)].join(
              '\n',
            ),
      );
    });
  withOrg(access.command('check').description('may USER do SCOPE (on a device group)?'))
    .argument('<user>', 'user id or userName')
    .argument('<scope>', 'resource:action, e.g. devices:read')
    .option('--device-group <name>', 'device group acted on')
    .option('--owner <id>', 'owner of the device or group acted on')
    .option('--creator <id>', 'who created the device group acted on')
    .action(async (user: string, scope: string, opts: CheckOptions) => {
      const decision = await inOrg(opts.org, (s, orgId) =>
        s.access.check(orgId, user, {
          scope,
          deviceGroup: opts.deviceGroup,
          ownerId: opts.owner,
          creatorId: opts.creator,
        }),
      );
      printResult(io, opts.json, decision, () => `${decision.allowed ? 'allowed' : 'denied'}: ${decision.reason}`);
      // Scripts branch on the exit status: 0 allowed, 3 denied (1 and 2 are errors and usage).
      if (!decision.allowed) throw new CliFailure('', ACCESS_DENIED_EXIT);
    });
};

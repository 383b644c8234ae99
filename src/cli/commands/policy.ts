/** `policy show|set`: the org policy that bounds every grant. */
import { Option } from 'commander';
import { CLI_ACTOR } from '../../domain/actor.js';
import type { CliCommands } from '../context.js';
import { printResult } from '../io.js';
import { list, withOrg, type OrgOptions } from '../options.js';

interface PolicyOptions extends OrgOptions {
  membership?: 'mapped' | 'all_provisioned';
  allow?: string[];
  deny?: string[];
  defaultUserScopes?: string[];
  resource?: string[];
  action?: string[];
}

/** A list option, or null when it is the one word that means "no list" ("*", "none"). */
function orNull(values: string[] | undefined, none: string): string[] | null | undefined {
  return values === undefined ? undefined : values.length === 1 && values[0] === none ? null : values;
}

export const policyCommands: CliCommands = (program, { io, inOrg }) => {
  const policy = program.command('policy').description('the org policy that bounds every grant');
  withOrg(policy.command('show').description('print the org policy')).action(async (opts: OrgOptions) => {
    const p = await inOrg(opts.org, (s, orgId) => s.policies.get(orgId));
    printResult(io, opts.json, p, () => JSON.stringify(p, null, 2));
  });
  withOrg(policy.command('set').description('change the org policy (Owners)'))
    .addOption(new Option('--membership <mode>', 'who is a member').choices(['mapped', 'all_provisioned']))
    .option('--allow <scopes>', 'only these scopes may be granted ("*" for no bound)', list)
    .option('--deny <scopes>', 'these scopes are never granted ("none" to clear)', list)
    .option('--default-user-scopes <scopes>', 'grant of Users in no team ("*" for every scope)', list)
    .option('--resource <names>', 'extra catalog resources', list)
    .option('--action <names>', 'extra catalog actions', list)
    .action(async (opts: PolicyOptions) => {
      const extension =
        opts.resource !== undefined || opts.action !== undefined
          ? { resources: opts.resource ?? [], actions: opts.action ?? [] }
          : undefined;
      const updated = await inOrg(opts.org, (s, orgId) =>
        s.policies.update(
          orgId,
          {
            ...(opts.membership ? { membership: opts.membership } : {}),
            ...(opts.allow !== undefined ? { allowedScopes: orNull(opts.allow, '*') } : {}),
            ...(opts.deny !== undefined ? { deniedScopes: orNull(opts.deny, 'none') } : {}),
            ...(opts.defaultUserScopes !== undefined ? { defaultUserScopes: orNull(opts.defaultUserScopes, '*') } : {}),
            ...(extension ? { catalog: extension } : {}),
          },
          CLI_ACTOR,
        ),
      );
      printResult(io, opts.json, updated, () => 'policy updated');
    });
};

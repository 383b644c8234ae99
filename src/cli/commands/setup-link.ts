/** `setup-link [--org ORG]`: a one-time link into the console as the org's Owner. */
import { CLI_ACTOR } from '../../domain/actor.js';
import type { CliCommands } from '../context.js';
import { printResult } from '../io.js';
import { jsonOption, type JsonOption } from '../options.js';

export const setupLinkCommands: CliCommands = (program, { io, withServices }) => {
  program
    .command('setup-link')
    .description("a one-time link that signs its holder in to the console as the org's Owner (1 hour)")
    .option('--org <org>', 'organization id or slug (without it, the link creates a new organization)')
    .addOption(jsonOption())
    .action(async (opts: JsonOption & { org?: string }) => {
      const link = await withServices(async (s) =>
        s.consoleAccess.issueLink(opts.org ? (await s.organizations.resolve(opts.org)).id : null, CLI_ACTOR),
      );
      printResult(io, opts.json, link, () => `open this link once, before ${link.expiresAt}:\n${link.url}`);
    });
};

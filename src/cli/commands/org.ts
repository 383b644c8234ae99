/** `org create|list`: organizations (tenants). */
import { CLI_ACTOR } from '../../domain/actor.js';
import type { CliCommands } from '../context.js';
import { printResult, table } from '../io.js';
import { jsonOption, type JsonOption } from '../options.js';

export const orgCommands: CliCommands = (program, { io, withServices }) => {
  const org = program.command('org').description('organizations (tenants)');
  org
    .command('create')
    .description('create an organization')
    .requiredOption('--name <name>', 'display name')
    .addOption(jsonOption())
    .action(async (opts: JsonOption & { name: string }) => {
      const created = await withServices((s) => s.organizations.create(opts.name, CLI_ACTOR));
      printResult(
        io,
        opts.json,
        { id: created.id, slug: created.slug },
        () => `created organization ${created.slug} (${created.id})`,
      );
    });
  org
    .command('list')
    .description('list organizations')
    .addOption(jsonOption())
    .action(async (opts: JsonOption) => {
      const orgs = await withServices((s) => s.organizations.list());
      printResult(io, opts.json, orgs, () => table(orgs, ['id', 'slug', 'name', 'createdAt']));
    });
};

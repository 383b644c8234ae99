/** `map create|preview|update|list|delete`: mappings from IdP groups to membership, role and teams. */
import { Option, type Command } from 'commander';
import type { MappingChange, MappingInput } from '../../admin/mapping-changes.js';
import type { AccessDelta, MappingPreview } from '../../admin/mapping-preview.js';
import { CLI_ACTOR } from '../../domain/actor.js';
import { MAPPING_MATCHES, type MappingMatch } from '../../domain/team.js';
import { CliFailure, type CliCommands } from '../context.js';
import { printResult, table } from '../io.js';
import { list, positive, withOrg, type OrgOptions } from '../options.js';

interface MappingOptions extends OrgOptions {
  connection: string;
  group: string;
  match: MappingMatch;
  role?: string;
  team?: string[];
  membership: boolean;
}

interface MappingUpdateOptions extends OrgOptions {
  role?: string;
  team?: string[] | false;
  teams?: boolean;
  membership?: string;
  preview?: boolean;
}

function describeDelta(d: AccessDelta): string {
  return (
    [...d.teams.map((t) => `team ${t}`), ...d.scopes, ...d.deviceGroups.map((g) => `device group ${g}`)].join(', ') ||
    '-'
  );
}

function describePreview(p: MappingPreview): string {
  const rows = p.users
    .filter((u) => u.changed)
    .map((u) => ({
      user: u.userName,
      role: u.before.role === u.after.role ? u.after.role : `${u.before.role} -> ${u.after.role}`,
      gains: describeDelta(u.gains),
      losses: describeDelta(u.losses),
    }));
  return [
    `${p.affectedUsers} user(s) in the group; ${p.changedUsers} of those listed would change${p.truncated ? ' (list truncated)' : ''}`,
    table(rows, ['user', 'role', 'gains', 'losses']),
  ].join('\n');
}

function mappingOptions(cmd: Command): Command {
  return withOrg(cmd)
    .requiredOption('--connection <id>', 'connection id')
    .requiredOption('--group <value>', "the group's SCIM id, externalId or display name (see --match)")
    .addOption(new Option('--match <by>', 'how to find the group').choices(MAPPING_MATCHES).default('id'))
    .addOption(new Option('--role <role>', 'org role members get').choices(['Owner', 'Admin', 'User']))
    .option('--team <teams>', 'team(s), by id or name (repeatable)', list)
    .option('--no-membership', 'do not make the group members org members (teams and role only)');
}

function mappingInput(opts: MappingOptions): MappingInput {
  return {
    connectionId: opts.connection,
    group: opts.group,
    matchBy: opts.match,
    role: opts.role ?? null,
    teams: opts.team ?? [],
    grantsMembership: opts.membership,
  };
}

function mappingChange(opts: MappingUpdateOptions): MappingChange {
  return {
    ...(opts.role ? { role: opts.role === 'none' ? null : opts.role } : {}),
    ...(Array.isArray(opts.team) ? { teams: opts.team } : opts.teams === false ? { teams: [] } : {}),
    ...(opts.membership ? { grantsMembership: opts.membership === 'yes' } : {}),
  };
}

export const mapCommands: CliCommands = (program, { io, inOrg }) => {
  const map = program.command('map').description('mappings from IdP groups to membership, role and teams');

  mappingOptions(map.command('create').description('map an IdP group of a connection to membership, a role and teams'))
    .option('--allow-unmatched', 'save it even though no group of the connection matches yet (the IdP pushes it later)')
    .action(async (opts: MappingOptions & { allowUnmatched?: boolean }) => {
      const result = await inOrg(opts.org, async (s, orgId) => {
        const input = mappingInput(opts);
        if (!opts.allowUnmatched && !(await s.mappings.matchedGroup(orgId, input))) {
          throw new CliFailure(
            `No group of connection ${input.connectionId} has ${input.matchBy === 'display_name' ? 'the display name' : input.matchBy === 'external_id' ? 'the externalId' : 'the id'} ${JSON.stringify(input.group)}. ` +
              'List the groups with: npx identity-bridge directory groups --org <org>; or pass --allow-unmatched to map it before the IdP pushes it.',
            1,
          );
        }
        return s.mappings.create(orgId, input, CLI_ACTOR);
      });
      printResult(io, opts.json, result, () =>
        [
          `created mapping ${result.mapping.id}: ${result.membershipsChanged} team membership(s) added`,
          ...(opts.match === 'display_name' ? ['note: matched by display name; renaming the group breaks it'] : []),
        ].join('\n'),
      );
    });

  mappingOptions(
    map.command('preview').description('what a new mapping would change for each affected user (nothing is saved)'),
  )
    .option('--limit <n>', 'list at most this many users', '200')
    .action(async (opts: MappingOptions & { limit: string }) => {
      const preview = await inOrg(opts.org, (s, orgId) =>
        s.mappings.preview(
          orgId,
          { operation: 'create', mapping: mappingInput(opts) },
          CLI_ACTOR,
          positive(opts.limit, 200),
        ),
      );
      printResult(io, opts.json, preview, () => describePreview(preview));
    });

  withOrg(map.command('update').description('change what a mapping grants (role, teams, membership)'))
    .argument('<id>', 'mapping id')
    .addOption(new Option('--role <role>', 'org role members get').choices(['Owner', 'Admin', 'User', 'none']))
    .option('--team <teams>', 'the teams, replacing the current ones (repeatable)', list)
    .option('--no-teams', 'grant no team')
    .option('--membership <yes|no>', 'whether group members become org members')
    .option('--preview', 'only show what would change')
    .action(async (id: string, opts: MappingUpdateOptions) => {
      const change = mappingChange(opts);
      if (opts.preview) {
        const preview = await inOrg(opts.org, (s, orgId) =>
          s.mappings.preview(orgId, { operation: 'update', mappingId: id, change }, CLI_ACTOR),
        );
        printResult(io, opts.json, preview, () => describePreview(preview));
        return;
      }
      const result = await inOrg(opts.org, (s, orgId) => s.mappings.update(orgId, id, change, CLI_ACTOR));
      printResult(
        io,
        opts.json,
        result,
        () => `updated mapping ${id}: ${result.membershipsChanged} team membership(s) changed`,
      );
    });

  withOrg(map.command('list').description("list the org's mappings")).action(async (opts: OrgOptions) => {
    const mappings = await inOrg(opts.org, (s, orgId) => s.mappings.list(orgId));
    printResult(io, opts.json, mappings, () =>
      table(
        mappings.map((m) => ({ ...m, teams: m.teamIds.join(','), membership: m.grantsMembership })),
        ['id', 'connectionId', 'matchBy', 'matchValue', 'role', 'teams', 'membership'],
      ),
    );
  });
  withOrg(map.command('delete').description('delete a mapping (its members lose what it granted at once)'))
    .argument('<id>', 'mapping id')
    .action(async (id: string, opts: OrgOptions) => {
      const result = await inOrg(opts.org, (s, orgId) => s.mappings.delete(orgId, id, CLI_ACTOR));
      printResult(
        io,
        opts.json,
        result,
        () => `deleted mapping ${id}: ${result.membershipsChanged} team membership(s) removed`,
      );
    });
};

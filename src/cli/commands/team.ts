/** `team create|update|delete|list|add-scope|remove-scope|add-device-group|remove-device-group|add-member|remove-member`. */
import type { Command } from 'commander';
import { CLI_ACTOR } from '../../domain/actor.js';
import type { Services } from '../../services.js';
import type { CliCommands } from '../context.js';
import { printResult, table } from '../io.js';
import { list, withOrg, type OrgOptions } from '../options.js';

interface TeamOptions extends OrgOptions {
  name?: string;
  description?: string;
  scope?: string[];
  deviceGroup?: string[];
}

type TeamEdit = (s: Services, orgId: string, team: string, values: string[]) => Promise<unknown>;

export const teamCommands: CliCommands = (program, { io, inOrg }) => {
  const team = program.command('team').description('factory teams: scopes, device groups, members');
  withOrg(team.command('create').description('create a team'))
    .requiredOption('--name <name>', 'team name, unique in the org')
    .option('--description <text>', 'what the team is for')
    .option('--scope <scopes>', 'scope(s) to grant, e.g. ci:read,source:read (repeatable)', list)
    .option('--device-group <names>', 'device group(s) of the team (repeatable)', list)
    .action(async (opts: TeamOptions & { name: string }) => {
      const created = await inOrg(opts.org, (s, orgId) =>
        s.teams.create(
          orgId,
          {
            name: opts.name,
            description: opts.description ?? null,
            scopes: opts.scope ?? [],
            deviceGroups: opts.deviceGroup ?? [],
          },
          CLI_ACTOR,
        ),
      );
      printResult(io, opts.json, created, () => `created team ${created.name} (${created.id})`);
    });
  withOrg(team.command('update').description("change a team's name, description, scopes or device groups"))
    .argument('<team>', 'team id or name')
    .option('--name <name>', 'new name')
    .option('--description <text>', 'new description')
    .option('--scope <scopes>', 'replace the scopes (repeatable)', list)
    .option('--device-group <names>', 'replace the device groups (repeatable)', list)
    .action(async (teamRef: string, opts: TeamOptions) => {
      const updated = await inOrg(opts.org, (s, orgId) =>
        s.teams.update(
          orgId,
          teamRef,
          {
            ...(opts.name !== undefined ? { name: opts.name } : {}),
            ...(opts.description !== undefined ? { description: opts.description } : {}),
            ...(opts.scope !== undefined ? { scopes: opts.scope } : {}),
            ...(opts.deviceGroup !== undefined ? { deviceGroups: opts.deviceGroup } : {}),
          },
          CLI_ACTOR,
        ),
      );
      printResult(io, opts.json, updated, () => `updated team ${updated.name}`);
    });
  withOrg(team.command('delete').description('delete a team (its members lose what it granted at once)'))
    .argument('<team>', 'team id or name')
    .action(async (teamRef: string, opts: OrgOptions) => {
      const deleted = await inOrg(opts.org, (s, orgId) => s.teams.delete(orgId, teamRef, CLI_ACTOR));
      printResult(io, opts.json, { id: deleted.id, name: deleted.name }, () => `deleted team ${deleted.name}`);
    });
  withOrg(team.command('list').description("list the org's teams")).action(async (opts: OrgOptions) => {
    const teams = await inOrg(opts.org, (s, orgId) => s.teams.list(orgId));
    printResult(io, opts.json, teams, () =>
      table(
        teams.map((t) => ({
          id: t.id,
          name: t.name,
          scopes: t.scopes.join(','),
          deviceGroups: t.deviceGroups.join(','),
          members: `${t.members.idp} idp + ${t.members.manual} manual`,
        })),
        ['id', 'name', 'scopes', 'deviceGroups', 'members'],
      ),
    );
  });

  const edit = (name: string, description: string, argName: string, run: TeamEdit): Command =>
    withOrg(team.command(name).description(description))
      .argument('<team>', 'team id or name')
      .argument(`<${argName}...>`, argName)
      .action(async (teamRef: string, values: string[], opts: OrgOptions) => {
        const result = await inOrg(opts.org, (s, orgId) =>
          run(
            s,
            orgId,
            teamRef,
            values.flatMap((v) => list(v)),
          ),
        );
        printResult(io, opts.json, result, () => `${name}: done`);
      });
  edit('add-scope', 'grant scopes to a team', 'scopes', (s, o, t, v) => s.teams.addScopes(o, t, v, CLI_ACTOR));
  edit('remove-scope', 'take scopes from a team', 'scopes', (s, o, t, v) => s.teams.removeScopes(o, t, v, CLI_ACTOR));
  edit('add-device-group', 'give a team device groups', 'deviceGroups', (s, o, t, v) =>
    s.teams.addDeviceGroups(o, t, v, CLI_ACTOR),
  );
  edit('remove-device-group', 'take device groups from a team', 'deviceGroups', (s, o, t, v) =>
    s.teams.removeDeviceGroups(o, t, v, CLI_ACTOR),
  );
  edit('add-member', 'add users (id or userName) to a team by hand', 'users', async (s, o, t, v) => {
    const out = [];
    for (const u of v) out.push(await s.teams.addMember(o, t, u, CLI_ACTOR));
    return out;
  });
  edit('remove-member', 'remove users added by hand', 'users', async (s, o, t, v) => {
    const out = [];
    for (const u of v) out.push({ user: u, removed: await s.teams.removeMember(o, t, u, CLI_ACTOR) });
    return out;
  });
};

/**
 * CLI commands of the access model: `team`, `map`, `policy`, `access`, `audit`, `session`.
 * Each takes `--org` (id or slug) and `--json`.
 */
import { Option, type Command } from 'commander';
import { CLI_ACTOR } from '../audit/actor.js';
import { previewMappingChange, type AccessDelta, type MappingPreview } from '../admin/mapping-preview.js';
import type { MappingChange, MappingInput } from '../admin/mappings.js';
import type { Config } from '../config/config.js';
import { MAPPING_MATCHES, type MappingMatch } from '../domain/team.js';
import type { Services } from '../services.js';
import { toCsv } from '../audit/audit-csv.js';
import { CliFailure, withServices } from './context.js';
import { printResult, table, type CliIo } from './io.js';

interface OrgOptions {
  org: string;
  json?: boolean;
}

interface MappingOptions extends OrgOptions {
  connection: string;
  group: string;
  match: MappingMatch;
  role?: string;
  team?: string[];
  membership: boolean;
}

const positive = (value: string, fallback: number): number => {
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : fallback;
};

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

const list = (value: string, previous: string[] = []): string[] => [
  ...previous,
  ...value
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean),
];

export function registerAccessCommands(program: Command, io: CliIo, config: () => Config): void {
  const inOrg = <T>(opts: OrgOptions, work: (s: Services, orgId: string) => Promise<T>): Promise<T> =>
    withServices(config(), async (s) => work(s, (await s.organizations.resolve(opts.org)).id));
  const withOrg = (cmd: Command): Command =>
    cmd
      .requiredOption('--org <org>', 'organization id or slug')
      .addOption(new Option('--json', 'print machine-readable JSON'));

  const team = program.command('team').description('factory teams: scopes, device groups, members');
  withOrg(team.command('create').description('create a team'))
    .requiredOption('--name <name>', 'team name, unique in the org')
    .option('--description <text>', 'what the team is for')
    .option('--scope <scopes>', 'scope(s) to grant, e.g. ci:read,source:read (repeatable)', list)
    .option('--device-group <names>', 'device group(s) of the team (repeatable)', list)
    .action(
      async (opts: OrgOptions & { name: string; description?: string; scope?: string[]; deviceGroup?: string[] }) => {
        const created = await inOrg(opts, (s, orgId) =>
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
      },
    );
  withOrg(team.command('update').description("change a team's name, description, scopes or device groups"))
    .argument('<team>', 'team id or name')
    .option('--name <name>', 'new name')
    .option('--description <text>', 'new description')
    .option('--scope <scopes>', 'replace the scopes (repeatable)', list)
    .option('--device-group <names>', 'replace the device groups (repeatable)', list)
    .action(
      async (
        teamRef: string,
        opts: OrgOptions & { name?: string; description?: string; scope?: string[]; deviceGroup?: string[] },
      ) => {
        const updated = await inOrg(opts, (s, orgId) =>
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
      },
    );
  withOrg(team.command('delete').description('delete a team (its members lose what it granted at once)'))
    .argument('<team>', 'team id or name')
    .action(async (teamRef: string, opts: OrgOptions) => {
      const deleted = await inOrg(opts, (s, orgId) => s.teams.delete(orgId, teamRef, CLI_ACTOR));
      printResult(io, opts.json, { id: deleted.id, name: deleted.name }, () => `deleted team ${deleted.name}`);
    });
  withOrg(team.command('list').description("list the org's teams")).action(async (opts: OrgOptions) => {
    const teams = await inOrg(opts, (s, orgId) => s.teams.list(orgId));
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
  const edit = (
    name: string,
    description: string,
    argName: string,
    run: (s: Services, orgId: string, teamRef: string, values: string[]) => Promise<unknown>,
  ): void => {
    withOrg(team.command(name).description(description))
      .argument('<team>', 'team id or name')
      .argument(`<${argName}...>`, argName)
      .action(async (teamRef: string, values: string[], opts: OrgOptions) => {
        const result = await inOrg(opts, (s, orgId) =>
          run(
            s,
            orgId,
            teamRef,
            values.flatMap((v) => list(v)),
          ),
        );
        printResult(io, opts.json, result, () => `${name}: done`);
      });
  };
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

  const map = program.command('map').description('mappings from IdP groups to membership, role and teams');
  const mappingOptions = (cmd: Command): Command =>
    withOrg(cmd)
      .requiredOption('--connection <id>', 'connection id')
      .requiredOption('--group <value>', "the group's SCIM id, externalId or display name (see --match)")
      .addOption(new Option('--match <by>', 'how to find the group').choices(MAPPING_MATCHES).default('id'))
      .addOption(new Option('--role <role>', 'org role members get').choices(['Owner', 'Admin', 'User']))
      .option('--team <teams>', 'team(s), by id or name (repeatable)', list)
      .option('--no-membership', 'do not make the group members org members (teams and role only)');
  const mappingInput = (opts: MappingOptions): MappingInput => ({
    connectionId: opts.connection,
    group: opts.group,
    matchBy: opts.match,
    role: opts.role ?? null,
    teams: opts.team ?? [],
    grantsMembership: opts.membership,
  });

  mappingOptions(
    map.command('create').description('map an IdP group of a connection to membership, a role and teams'),
  ).action(async (opts: MappingOptions) => {
    const result = await inOrg(opts, (s, orgId) => s.mappings.create(orgId, mappingInput(opts), CLI_ACTOR));
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
      const preview = await inOrg(opts, (s, orgId) =>
        previewMappingChange(
          s.store,
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
    .action(
      async (
        id: string,
        opts: OrgOptions & {
          role?: string;
          team?: string[] | false;
          teams?: boolean;
          membership?: string;
          preview?: boolean;
        },
      ) => {
        const change: MappingChange = {
          ...(opts.role ? { role: opts.role === 'none' ? null : opts.role } : {}),
          ...(Array.isArray(opts.team) ? { teams: opts.team } : opts.teams === false ? { teams: [] } : {}),
          ...(opts.membership ? { grantsMembership: opts.membership === 'yes' } : {}),
        };
        if (opts.preview) {
          const preview = await inOrg(opts, (s, orgId) =>
            previewMappingChange(s.store, orgId, { operation: 'update', mappingId: id, change }, CLI_ACTOR),
          );
          printResult(io, opts.json, preview, () => describePreview(preview));
          return;
        }
        const result = await inOrg(opts, (s, orgId) => s.mappings.update(orgId, id, change, CLI_ACTOR));
        printResult(
          io,
          opts.json,
          result,
          () => `updated mapping ${id}: ${result.membershipsChanged} team membership(s) changed`,
        );
      },
    );

  withOrg(map.command('list').description("list the org's mappings")).action(async (opts: OrgOptions) => {
    const mappings = await inOrg(opts, (s, orgId) => s.mappings.list(orgId));
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
      const result = await inOrg(opts, (s, orgId) => s.mappings.delete(orgId, id, CLI_ACTOR));
      printResult(
        io,
        opts.json,
        result,
        () => `deleted mapping ${id}: ${result.membershipsChanged} team membership(s) removed`,
      );
    });

  const access = program.command('access').description('effective access and decisions');
  withOrg(access.command('explain').description("a user's effective access and where each part comes from"))
    .argument('<user>', 'user id or userName')
    .action(async (user: string, opts: OrgOptions) => {
      const explained = await inOrg(opts, (s, orgId) => s.access.explain(orgId, user));
      printResult(io, opts.json, explained, () => explained.explanation.join('\n'));
    });
  withOrg(access.command('check').description('may USER do SCOPE (on a device group)?'))
    .argument('<user>', 'user id or userName')
    .argument('<scope>', 'resource:action, e.g. devices:read')
    .option('--device-group <name>', 'device group acted on')
    .option('--owner <id>', 'owner of the device or group acted on')
    .option('--creator <id>', 'who created the device group acted on')
    .action(
      async (
        user: string,
        scope: string,
        opts: OrgOptions & { deviceGroup?: string; owner?: string; creator?: string },
      ) => {
        const decision = await inOrg(opts, (s, orgId) =>
          s.access.check(orgId, user, {
            scope,
            deviceGroup: opts.deviceGroup,
            ownerId: opts.owner,
            creatorId: opts.creator,
          }),
        );
        printResult(io, opts.json, decision, () => `${decision.allowed ? 'allowed' : 'denied'}: ${decision.reason}`);
      },
    );

  const policy = program.command('policy').description('the org policy that bounds every grant');
  withOrg(policy.command('show').description('print the org policy')).action(async (opts: OrgOptions) => {
    const p = await inOrg(opts, (s, orgId) => s.policies.get(orgId));
    printResult(io, opts.json, p, () => JSON.stringify(p, null, 2));
  });
  withOrg(policy.command('set').description('change the org policy (Owners)'))
    .addOption(new Option('--membership <mode>', 'who is a member').choices(['mapped', 'all_provisioned']))
    .option('--allow <scopes>', 'only these scopes may be granted ("*" for no bound)', list)
    .option('--deny <scopes>', 'these scopes are never granted ("none" to clear)', list)
    .option('--default-user-scopes <scopes>', 'grant of Users in no team ("*" for every scope)', list)
    .option('--resource <names>', 'extra catalog resources', list)
    .option('--action <names>', 'extra catalog actions', list)
    .action(
      async (
        opts: OrgOptions & {
          membership?: 'mapped' | 'all_provisioned';
          allow?: string[];
          deny?: string[];
          defaultUserScopes?: string[];
          resource?: string[];
          action?: string[];
        },
      ) => {
        const orNull = (v: string[] | undefined, none: string): string[] | null | undefined =>
          v === undefined ? undefined : v.length === 1 && v[0] === none ? null : v;
        const updated = await inOrg(opts, async (s, orgId) => {
          const extension =
            opts.resource !== undefined || opts.action !== undefined
              ? {
                  resources: opts.resource ?? [],
                  actions: opts.action ?? [],
                }
              : undefined;
          return s.policies.update(
            orgId,
            {
              ...(opts.membership ? { membership: opts.membership } : {}),
              ...(opts.allow !== undefined ? { allowedScopes: orNull(opts.allow, '*') } : {}),
              ...(opts.deny !== undefined ? { deniedScopes: orNull(opts.deny, 'none') } : {}),
              ...(opts.defaultUserScopes !== undefined
                ? { defaultUserScopes: orNull(opts.defaultUserScopes, '*') }
                : {}),
              ...(extension ? { catalog: extension } : {}),
            },
            CLI_ACTOR,
          );
        });
        printResult(io, opts.json, updated, () => 'policy updated');
      },
    );

  const audit = program.command('audit').description('the audit log');
  withOrg(audit.command('list').description('recent audit events, newest first'))
    .option('--action <action>', 'only this action, e.g. mapping.created')
    .option('--actor <id>', 'only this actor id')
    .option('--target <id>', 'only this target id')
    .option('--since <time>', 'ISO-8601 time')
    .option('--limit <n>', 'at most this many', '50')
    .action(
      async (
        opts: OrgOptions & { action?: string; actor?: string; target?: string; since?: string; limit: string },
      ) => {
        const limit = Number(opts.limit);
        if (opts.since !== undefined && Number.isNaN(Date.parse(opts.since))) {
          throw new CliFailure(`--since ${JSON.stringify(opts.since)} is not an ISO-8601 time`, 2);
        }
        const events = await inOrg(opts, (s, orgId) =>
          s.store.repos.audit.list(orgId, {
            ...(opts.action ? { action: opts.action } : {}),
            ...(opts.actor ? { actorId: opts.actor } : {}),
            ...(opts.target ? { targetId: opts.target } : {}),
            ...(opts.since ? { since: new Date(opts.since).toISOString() } : {}),
            limit: Number.isInteger(limit) && limit > 0 ? Math.min(limit, 10_000) : 50,
          }),
        );
        printResult(io, opts.json, events, () =>
          table(events, ['occurredAt', 'actorType', 'actorLabel', 'action', 'targetType', 'targetLabel']),
        );
      },
    );

  withOrg(audit.command('export').description('audit events as CSV (newest first), on stdout'))
    .option('--action <action>', 'only this action')
    .option('--actor <actor>', "only this actor's id or label")
    .option('--target <id>', 'only this target id')
    .option('--since <time>', 'ISO-8601 time')
    .option('--until <time>', 'ISO-8601 time')
    .action(
      async (
        opts: OrgOptions & { action?: string; actor?: string; target?: string; since?: string; until?: string },
      ) => {
        for (const t of [opts.since, opts.until]) {
          if (t !== undefined && Number.isNaN(Date.parse(t)))
            throw new CliFailure(`${JSON.stringify(t)} is not an ISO-8601 time`, 2);
        }
        const events = await inOrg(opts, (s, orgId) =>
          s.store.repos.audit.list(orgId, {
            ...(opts.action ? { action: opts.action } : {}),
            ...(opts.actor ? { actor: opts.actor } : {}),
            ...(opts.target ? { targetId: opts.target } : {}),
            ...(opts.since ? { since: new Date(opts.since).toISOString() } : {}),
            ...(opts.until ? { until: new Date(opts.until).toISOString() } : {}),
            limit: 100_000,
          }),
        );
        io.stdout(opts.json ? `${JSON.stringify(events, null, 2)}\n` : toCsv(events));
      },
    );

  const session = program.command('session').description('sign-in sessions');
  withOrg(session.command('revoke').description('end every session of a user (they must sign in again)'))
    .argument('<user>', 'user id or userName')
    .action(async (user: string, opts: OrgOptions) => {
      const result = await inOrg(opts, async (s, orgId) => {
        const found =
          (await s.store.repos.users.get(orgId, user)) ?? (await s.store.repos.users.findByUserName(orgId, user));
        if (!found) throw new CliFailure(`no user ${JSON.stringify(user)} in this organization`, 2);
        return { userId: found.id, ended: await s.sessions.revokeUser(orgId, found.id, CLI_ACTOR) };
      });
      printResult(io, opts.json, result, () => `ended ${result.ended} session(s)`);
    });
}

/**
 * `admin-token` (the admin API, with a role) and `api-token` (the decision API, for
 * factory services): an org's automation tokens. Each can be issued (shown once,
 * optionally expiring), listed (never the token itself) and revoked.
 */
import { Option, type Command } from 'commander';
import type { AdminTokenView } from '../../admin/admin-tokens.js';
import { CLI_ACTOR } from '../../domain/actor.js';
import type { Role } from '../../domain/role.js';
import { expiresAtFor, type ApiTokenKind } from '../../domain/secret-token.js';
import type { CliCommands, CliContext } from '../context.js';
import { printResult, table } from '../io.js';
import { expiresInOption, jsonOption, type JsonOption } from '../options.js';

interface TokenOptions extends JsonOption {
  description?: string;
  expiresIn?: string;
}

const listed = (tokens: readonly AdminTokenView[]): string =>
  table(
    tokens.map((t) => ({ ...t, expiresAt: t.expiresAt ?? 'never', lastUsedAt: t.lastUsedAt ?? '-' })),
    ['id', 'prefix', 'role', 'description', 'createdAt', 'expiresAt', 'lastUsedAt', 'revokedAt'],
  );

function tokenCommands(
  program: Command,
  { io, inOrg, withServices }: CliContext,
  kind: ApiTokenKind,
  what: { command: string; description: string; name: string },
): Command {
  const command = program.command(what.command).description(what.description);
  command
    .command('list')
    .description(`list the org's ${what.name}s with created, expiry, last-used and revoked times (never the tokens)`)
    .requiredOption('--org <org>', 'organization id or slug')
    .addOption(jsonOption())
    .action(async (opts: TokenOptions & { org: string }) => {
      const tokens = await inOrg(opts.org, (s, orgId) => s.adminTokens.list(orgId, kind));
      printResult(io, opts.json, tokens, () => listed(tokens));
    });
  command
    .command('revoke')
    .description(`revoke a ${what.name}: refused at once here, within 5 seconds on every other instance`)
    .argument('<id>', 'token id')
    .addOption(jsonOption())
    .action(async (id: string, opts: TokenOptions) => {
      const revoked = await withServices(async (s) =>
        s.adminTokens.revoke(await s.adminTokens.ownerOf(id), id, CLI_ACTOR, kind),
      );
      printResult(io, opts.json, revoked, () => `revoked ${what.name} ${revoked.id} (${revoked.prefix})`);
    });
  return command;
}

export const adminTokenCommands: CliCommands = (program, cli) => {
  const adminToken = tokenCommands(program, cli, 'admin', {
    command: 'admin-token',
    description: 'admin API tokens of an organization (automation)',
    name: 'admin token',
  });
  adminToken
    .command('issue')
    .description('issue an admin API token (shown once, only here)')
    .requiredOption('--org <org>', 'organization id or slug')
    .addOption(new Option('--role <role>', 'role the token acts with').choices(['Owner', 'Admin']).default('Admin'))
    .option('--description <text>', 'what the token is for')
    .addOption(expiresInOption())
    .addOption(jsonOption())
    .action(async (opts: TokenOptions & { org: string; role: Role }) => {
      const expiresAt = expiresAtFor(opts.expiresIn);
      const issued = await cli.inOrg(opts.org, (s, orgId) =>
        s.adminTokens.issue(orgId, CLI_ACTOR, {
          role: opts.role,
          description: opts.description ?? null,
          expiresAt,
        }),
      );
      printResult(cli.io, opts.json, issued, () => [`admin token ${issued.id} (shown once):`, issued.token].join('\n'));
    });
};

export const apiTokenCommands: CliCommands = (program, cli) => {
  const apiToken = tokenCommands(program, cli, 'api', {
    command: 'api-token',
    description: 'decision API tokens of an organization (factory services)',
    name: 'API token',
  });
  apiToken
    .command('issue')
    .description('issue a token for the decision API (shown once, only here)')
    .requiredOption('--org <org>', 'organization id or slug')
    .option('--description <text>', 'which service uses it')
    .addOption(expiresInOption())
    .addOption(jsonOption())
    .action(async (opts: TokenOptions & { org: string }) => {
      const expiresAt = expiresAtFor(opts.expiresIn);
      const issued = await cli.inOrg(opts.org, (s, orgId) =>
        s.adminTokens.issueApi(orgId, CLI_ACTOR, {
          description: opts.description ?? 'decision API',
          expiresAt,
        }),
      );
      printResult(cli.io, opts.json, issued, () => [`API token ${issued.id} (shown once):`, issued.token].join('\n'));
    });
};

/**
 * CLI commands for an org's automation tokens: `admin-token` (the admin API, with a role)
 * and `api-token` (the decision API, for factory services). Each can be issued (shown
 * once, optionally expiring), listed (never the token itself) and revoked.
 */
import { Option, type Command } from 'commander';
import { CLI_ACTOR } from '../audit/actor.js';
import type { AdminTokenView } from '../admin/admin-tokens.js';
import type { Config } from '../config/config.js';
import type { Role } from '../domain/role.js';
import { expiresAtFor } from '../domain/secret-token.js';
import type { ApiTokenKind } from '../store/repositories/credentials.js';
import { withServices } from './context.js';
import { printResult, table, type CliIo } from './io.js';

interface TokenOptions {
  json?: boolean;
  description?: string;
  expiresIn?: string;
}

export const expiresInOption = (): Option =>
  new Option('--expires-in <duration>', 'expire after 30m, 12h, 90d, 52w, … (default: never)');

const jsonOption = (): Option => new Option('--json', 'print machine-readable JSON');

const listed = (tokens: readonly AdminTokenView[]): string =>
  table(
    tokens.map((t) => ({ ...t, expiresAt: t.expiresAt ?? 'never', lastUsedAt: t.lastUsedAt ?? '-' })),
    ['id', 'prefix', 'role', 'description', 'createdAt', 'expiresAt', 'lastUsedAt', 'revokedAt'],
  );

function registerKind(
  program: Command,
  io: CliIo,
  config: () => Config,
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
      const tokens = await withServices(config(), async (s) =>
        s.adminTokens.list((await s.organizations.resolve(opts.org)).id, kind),
      );
      printResult(io, opts.json, tokens, () => listed(tokens));
    });
  command
    .command('revoke')
    .description(`revoke a ${what.name}: refused at once here, within 5 seconds on every other instance`)
    .argument('<id>', 'token id')
    .addOption(jsonOption())
    .action(async (id: string, opts: TokenOptions) => {
      const revoked = await withServices(config(), async (s) =>
        s.adminTokens.revoke(await s.adminTokens.ownerOf(id), id, CLI_ACTOR, kind),
      );
      printResult(io, opts.json, revoked, () => `revoked ${what.name} ${revoked.id} (${revoked.prefix})`);
    });
  return command;
}

export function registerTokenCommands(program: Command, io: CliIo, config: () => Config): void {
  const adminToken = registerKind(program, io, config, 'admin', {
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
      const issued = await withServices(config(), async (s) =>
        s.adminTokens.issue((await s.organizations.resolve(opts.org)).id, CLI_ACTOR, {
          role: opts.role,
          description: opts.description ?? null,
          expiresAt,
        }),
      );
      printResult(io, opts.json, issued, () => [`admin token ${issued.id} (shown once):`, issued.token].join('\n'));
    });

  const apiToken = registerKind(program, io, config, 'api', {
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
      const issued = await withServices(config(), async (s) =>
        s.adminTokens.issueApi((await s.organizations.resolve(opts.org)).id, CLI_ACTOR, {
          description: opts.description ?? 'decision API',
          expiresAt,
        }),
      );
      printResult(io, opts.json, issued, () => [`API token ${issued.id} (shown once):`, issued.token].join('\n'));
    });
}

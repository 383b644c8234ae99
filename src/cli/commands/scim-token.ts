/** `scim-token issue|list|revoke|rotate`: the SCIM bearer tokens of a connection. */
import { CLI_ACTOR } from '../../domain/actor.js';
import { expiresAtFor } from '../../domain/secret-token.js';
import type { CliCommands } from '../context.js';
import { printResult, table } from '../io.js';
import { expiresInOption, jsonOption, type JsonOption } from '../options.js';

export const scimTokenCommands: CliCommands = (program, { io, withServices }) => {
  const scimToken = program.command('scim-token').description('SCIM bearer tokens of a connection');
  scimToken
    .command('issue')
    .description('issue a SCIM bearer token (shown once, only here)')
    .requiredOption('--connection <id>', 'connection id')
    .option('--description <text>', 'what the token is for')
    .addOption(expiresInOption())
    .addOption(jsonOption())
    .action(async (opts: JsonOption & { connection: string; description?: string; expiresIn?: string }) => {
      const expiresAt = expiresAtFor(opts.expiresIn);
      const issued = await withServices(async (s) => {
        const orgId = await s.connections.ownerOf(opts.connection);
        return s.scimTokens.issue(orgId, opts.connection, CLI_ACTOR, opts.description ?? null, expiresAt);
      });
      printResult(io, opts.json, issued, () =>
        [`SCIM token ${issued.id} (shown once; store it in the identity provider now):`, issued.token].join('\n'),
      );
    });
  scimToken
    .command('list')
    .description("list a connection's SCIM tokens (never the tokens themselves)")
    .requiredOption('--connection <id>', 'connection id')
    .addOption(jsonOption())
    .action(async (opts: JsonOption & { connection: string }) => {
      const tokens = await withServices(async (s) =>
        s.scimTokens.list(await s.connections.ownerOf(opts.connection), opts.connection),
      );
      printResult(io, opts.json, tokens, () =>
        table(tokens, ['id', 'prefix', 'description', 'createdAt', 'expiresAt', 'lastUsedAt', 'revokedAt']),
      );
    });
  scimToken
    .command('revoke')
    .description('revoke a SCIM token: the identity provider using it is refused from now on')
    .argument('<id>', 'token id')
    .addOption(jsonOption())
    .action(async (id: string, opts: JsonOption) => {
      const revoked = await withServices(async (s) =>
        s.scimTokens.revoke(await s.scimTokens.ownerOf(id), id, CLI_ACTOR),
      );
      printResult(io, opts.json, revoked, () => `revoked SCIM token ${revoked.id} (${revoked.prefix})`);
    });
  scimToken
    .command('rotate')
    .description('issue a new token for the same connection and revoke this one (update the IdP at once)')
    .argument('<id>', 'token id')
    .addOption(jsonOption())
    .action(async (id: string, opts: JsonOption) => {
      const rotated = await withServices(async (s) =>
        s.scimTokens.rotate(await s.scimTokens.ownerOf(id), id, CLI_ACTOR),
      );
      printResult(io, opts.json, rotated, () =>
        [`SCIM token ${rotated.id} replaces ${rotated.revoked} (shown once):`, rotated.token].join('\n'),
      );
    });
};

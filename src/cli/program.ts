/**
 * The `identity-bridge` command line: the same services as the HTTP surfaces, no HTTP.
 * Every command takes `--json`. Exit codes: 0 done, 2 bad arguments (including an
 * unknown org, connection or token), 1 anything else. Each command group is a file of
 * commands/; this file is their list, in the order help shows them.
 */
import { Command, CommanderError } from 'commander';
import { ConfigError, loadConfig, type Config } from '../config/config.js';
import { AppError } from '../domain/errors/index.js';
import { accessCommands } from './commands/access.js';
import { adminTokenCommands, apiTokenCommands } from './commands/api-tokens.js';
import { auditCommands } from './commands/audit.js';
import { connectionCommands } from './commands/connection.js';
import { dbCommands } from './commands/db.js';
import { directoryCommands } from './commands/directory.js';
import { mapCommands } from './commands/map.js';
import { migrateCommands } from './commands/migrate.js';
import { orgCommands } from './commands/org.js';
import { policyCommands } from './commands/policy.js';
import { scimTokenCommands } from './commands/scim-token.js';
import { sessionCommands } from './commands/session.js';
import { setupLinkCommands } from './commands/setup-link.js';
import { signingKeyCommands } from './commands/signing-key.js';
import { teamCommands } from './commands/team.js';
import { webhookCommands } from './commands/webhook.js';
import { CliFailure, cliContext, type CliCommands } from './context.js';
import type { CliIo } from './io.js';

const COMMANDS: readonly CliCommands[] = [
  migrateCommands,
  dbCommands,
  orgCommands,
  connectionCommands,
  directoryCommands,
  scimTokenCommands,
  setupLinkCommands,
  signingKeyCommands,
  teamCommands,
  mapCommands,
  accessCommands,
  policyCommands,
  auditCommands,
  sessionCommands,
  adminTokenCommands,
  webhookCommands,
  apiTokenCommands,
];

function buildProgram(io: CliIo, config: () => Config): Command {
  const program = new Command('identity-bridge')
    .description('identity-bridge: SCIM provisioning, SSO and team-based access for a factory')
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr, outputError: () => undefined });
  const cli = cliContext(io, config);
  for (const commands of COMMANDS) commands(program, cli);
  return program;
}

/** Runs the CLI with the given arguments (without `node` and the script); resolves to the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let loaded: Config | undefined;
  const config = (): Config => (loaded ??= loadConfig(io.env));
  const program = buildProgram(io, config);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.exitCode === 0)
        return 0;
      if (error.code === 'commander.help' || error.code === 'commander.executeSubCommandAsync') return error.exitCode;
      io.stderr(`${error.message.replace(/^error: /, 'error: ')}\n`);
      return 2;
    }
    if (error instanceof ConfigError) {
      io.stderr(`${error.message}\n`);
      return 2;
    }
    if (error instanceof CliFailure) {
      // A failure without words (a denied `access check`) has said what it had to on stdout.
      if (error.message) io.stderr(`error: ${error.message}\n`);
      return error.exitCode;
    }
    if (error instanceof AppError && error.status >= 400 && error.status < 500) {
      io.stderr(`error: ${error.message}\n`);
      return 2;
    }
    io.stderr(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

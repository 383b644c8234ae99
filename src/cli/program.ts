/**
 * The `identity-bridge` command line: the same services as the HTTP surfaces, no HTTP.
 * Every command takes `--json`. Exit codes: 0 done, 2 bad arguments (including an
 * unknown org, connection or token), 1 anything else.
 */
import fs from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { CLI_ACTOR } from '../audit/actor.js';
import { ConfigError, loadConfig, type Config } from '../config/config.js';
import { CONNECTION_KINDS } from '../domain/connection.js';
import { AppError } from '../domain/errors/index.js';
import {
  migrateLatest,
  migrateRollback,
  migrationStatus,
  openDatabase,
  ensurePostgresDatabase,
} from '../store/database.js';
import { withoutStatementTimeout } from '../store/open-store.js';
import { AccessTokenService } from '../sso/access-tokens.js';
import { parseIdpMetadata } from '../sso/idp-metadata.js';
import { SecretBox } from '../sso/secret-box.js';
import { resolveSessionSecret } from '../sso/session-secret.js';
import { registerAccessCommands } from './access-commands.js';
import { expiresInOption, registerTokenCommands } from './token-commands.js';
import { expiresAtFor } from '../domain/secret-token.js';
import { CliFailure, withServices } from './context.js';
import { printResult, table, type CliIo } from './io.js';

interface JsonOption {
  json?: boolean;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function jsonOption(): Option {
  return new Option('--json', 'print machine-readable JSON');
}

function buildProgram(io: CliIo, config: () => Config): Command {
  const program = new Command('identity-bridge')
    .description('identity-bridge: SCIM provisioning, SSO and team-based access for a factory')
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr, outputError: () => undefined });

  program
    .command('migrate')
    .description('apply, roll back or list database migrations')
    .argument('[action]', 'latest | rollback | status', 'latest')
    .addOption(jsonOption())
    .action(async (action: string, opts: JsonOption) => {
      if (!['latest', 'rollback', 'status'].includes(action)) {
        throw new CliFailure(`unknown migrate action "${action}" (expected latest, rollback or status)`, 2);
      }
      const cfg = config();
      if (cfg.database.client === 'pg') await ensurePostgresDatabase(cfg.database.url);
      const db = openDatabase(withoutStatementTimeout(cfg.database));
      try {
        if (action === 'status') {
          const status = await migrationStatus(db);
          printResult(io, opts.json, status, () =>
            [...status.applied.map((m) => `applied  ${m}`), ...status.pending.map((m) => `pending  ${m}`)].join('\n'),
          );
        } else if (action === 'rollback') {
          const rolledBack = await migrateRollback(db);
          printResult(io, opts.json, { rolledBack }, () =>
            rolledBack.length ? rolledBack.map((m) => `rolled back ${m}`).join('\n') : 'nothing to roll back',
          );
        } else {
          const applied = await migrateLatest(db);
          printResult(io, opts.json, { applied }, () =>
            applied.length ? applied.map((m) => `applied ${m}`).join('\n') : 'already up to date',
          );
        }
      } finally {
        await db.destroy();
      }
    });

  const org = program.command('org').description('organizations (tenants)');
  org
    .command('create')
    .description('create an organization')
    .requiredOption('--name <name>', 'display name')
    .addOption(jsonOption())
    .action(async (opts: JsonOption & { name: string }) => {
      const created = await withServices(config(), (s) => s.organizations.create(opts.name, CLI_ACTOR));
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
      const orgs = await withServices(config(), (s) => s.organizations.list());
      printResult(io, opts.json, orgs, () => table(orgs, ['id', 'slug', 'name', 'createdAt']));
    });

  const connection = program.command('connection').description('identity provider connections');
  connection
    .command('create')
    .description('connect an identity provider to an organization')
    .requiredOption('--org <org>', 'organization id or slug')
    .addOption(new Option('--kind <kind>', 'identity provider kind').choices(CONNECTION_KINDS).makeOptionMandatory())
    .requiredOption('--name <name>', 'display name, e.g. "Okta production"')
    .addOption(jsonOption())
    .action(async (opts: JsonOption & { org: string; kind: string; name: string }) => {
      const created = await withServices(config(), async (s) => {
        const o = await s.organizations.resolve(opts.org);
        return s.connections.create(o.id, { kind: opts.kind, name: opts.name }, CLI_ACTOR);
      });
      printResult(
        io,
        opts.json,
        { id: created.id },
        () => `created ${created.kind} connection ${created.name} (${created.id})`,
      );
    });
  connection
    .command('list')
    .description("list an organization's connections")
    .requiredOption('--org <org>', 'organization id or slug')
    .addOption(jsonOption())
    .action(async (opts: JsonOption & { org: string }) => {
      const list = await withServices(config(), async (s) =>
        s.connections.list((await s.organizations.resolve(opts.org)).id),
      );
      printResult(io, opts.json, list, () => table(list, ['id', 'kind', 'name', 'lastScimRequestAt']));
    });

  connection
    .command('oidc')
    .description('set up OpenID Connect sign-in for a connection; prints what to enter at the IdP')
    .requiredOption('--connection <id>', 'connection id')
    .requiredOption('--issuer <url>', 'the IdP issuer (https; http only on a loopback address)')
    .requiredOption('--client-id <id>', 'client (application) id registered at the IdP')
    .requiredOption('--client-secret <secret>', 'client secret (stored encrypted)')
    .option('--groups-claim <name>', 'ID token claim that lists the groups', 'groups')
    .option('--jit', 'create users on first sign-in (IdPs without SCIM)')
    .addOption(jsonOption())
    .action(
      async (
        opts: JsonOption & {
          connection: string;
          issuer: string;
          clientId: string;
          clientSecret: string;
          groupsClaim: string;
          jit?: boolean;
        },
      ) => {
        const cfg = config();
        const endpoints = await withServices(cfg, async (s) => {
          const orgId = await s.connections.ownerOf(opts.connection);
          const box = new SecretBox(await resolveSessionSecret(cfg, s.store));
          return s.ssoSettings.configureOidc(
            orgId,
            opts.connection,
            {
              issuer: opts.issuer,
              clientId: opts.clientId,
              clientSecret: opts.clientSecret,
              groupsClaim: opts.groupsClaim,
              jit: opts.jit === true,
            },
            box,
            CLI_ACTOR,
          );
        });
        printResult(io, opts.json, endpoints, () =>
          [
            'OpenID Connect sign-in configured. At the identity provider, set:',
            `  Sign-in redirect URI: ${endpoints.redirectUri}`,
            `  Initiate login URI:   ${endpoints.loginUrl}`,
          ].join('\n'),
        );
      },
    );
  connection
    .command('saml')
    .description('set up SAML sign-in for a connection; prints what to enter at the IdP')
    .requiredOption('--connection <id>', 'connection id')
    .option('--idp-metadata <file>', "the IdP's SAML metadata XML")
    .option('--idp-entity-id <id>', "the IdP's entity ID (issuer)")
    .option('--idp-sso-url <url>', "the IdP's single sign-on URL (HTTP-Redirect binding)")
    .option('--idp-cert <file>', "the IdP's signing certificate (PEM); repeat during a rollover", collect)
    .addOption(
      new Option('--want-response-signed <bool>', 'require the Response to be signed too').choices(['true', 'false']),
    )
    .option('--allow-idp-initiated', 'accept IdP-initiated sign-in (replays are still refused)')
    .option('--idp-logout-url <url>', "the IdP's single logout URL, for SP-initiated logout")
    .option('--email-attribute <name>', 'attribute carrying the email (default per IdP kind)')
    .option('--name-attribute <name>', 'attribute carrying the display name (default per IdP kind)')
    .option('--groups-attribute <name>', 'attribute carrying the groups (Google: the name chosen in the app)')
    .option('--jit', 'create users on first sign-in (IdPs without SCIM)')
    .addOption(jsonOption())
    .action(
      async (
        opts: JsonOption & {
          connection: string;
          idpMetadata?: string;
          idpEntityId?: string;
          idpSsoUrl?: string;
          idpCert?: string[];
          wantResponseSigned?: 'true' | 'false';
          allowIdpInitiated?: boolean;
          idpLogoutUrl?: string;
          emailAttribute?: string;
          nameAttribute?: string;
          groupsAttribute?: string;
          jit?: boolean;
        },
      ) => {
        const read = (file: string): string => {
          try {
            return fs.readFileSync(file, 'utf8');
          } catch {
            throw new CliFailure(`cannot read ${file}`, 2);
          }
        };
        let idp: { entityId: string; ssoUrl: string; certificates: string[] };
        if (opts.idpMetadata) {
          idp = parseIdpMetadata(read(opts.idpMetadata));
        } else if (opts.idpEntityId && opts.idpSsoUrl && opts.idpCert?.length) {
          idp = { entityId: opts.idpEntityId, ssoUrl: opts.idpSsoUrl, certificates: opts.idpCert.map(read) };
        } else {
          throw new CliFailure('give --idp-metadata FILE, or --idp-entity-id, --idp-sso-url and --idp-cert', 2);
        }
        const endpoints = await withServices(config(), async (s) =>
          s.ssoSettings.configureSaml(
            await s.connections.ownerOf(opts.connection),
            opts.connection,
            {
              idpEntityId: idp.entityId,
              idpSsoUrl: idp.ssoUrl,
              idpCerts: idp.certificates,
              ...(opts.wantResponseSigned ? { wantResponseSigned: opts.wantResponseSigned === 'true' } : {}),
              allowIdpInitiated: opts.allowIdpInitiated === true,
              jit: opts.jit === true,
              ...(opts.idpLogoutUrl ? { idpLogoutUrl: opts.idpLogoutUrl } : {}),
              attributes: {
                ...(opts.emailAttribute ? { email: opts.emailAttribute } : {}),
                ...(opts.nameAttribute ? { name: opts.nameAttribute } : {}),
                ...(opts.groupsAttribute ? { groups: opts.groupsAttribute } : {}),
              },
            },
            CLI_ACTOR,
          ),
        );
        printResult(io, opts.json, endpoints, () =>
          [
            'SAML sign-in configured. At the identity provider, set:',
            `  Single sign-on URL / ACS URL:   ${endpoints.acsUrl}`,
            `  Audience URI / SP entity ID:    ${endpoints.entityId}`,
            `  SP metadata:                    ${endpoints.metadataUrl}`,
            `  Sign-in starts at:              ${endpoints.loginUrl}`,
          ].join('\n'),
        );
      },
    );
  connection
    .command('domain')
    .description("register an email domain of the connection's users (sign-in discovery, trusted emails)")
    .requiredOption('--connection <id>', 'connection id')
    .requiredOption('--add <domain>', 'domain, e.g. example.com')
    .addOption(jsonOption())
    .action(async (opts: JsonOption & { connection: string; add: string }) => {
      const domain = await withServices(config(), async (s) =>
        s.connections.addDomain(await s.connections.ownerOf(opts.connection), opts.connection, opts.add, CLI_ACTOR),
      );
      printResult(io, opts.json, { domain }, () => `registered ${domain}`);
    });

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
      const issued = await withServices(config(), async (s) => {
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
      const tokens = await withServices(config(), async (s) =>
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
      const revoked = await withServices(config(), async (s) =>
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
      const rotated = await withServices(config(), async (s) =>
        s.scimTokens.rotate(await s.scimTokens.ownerOf(id), id, CLI_ACTOR),
      );
      printResult(io, opts.json, rotated, () =>
        [`SCIM token ${rotated.id} replaces ${rotated.revoked} (shown once):`, rotated.token].join('\n'),
      );
    });

  program
    .command('setup-link')
    .description("a one-time link that signs its holder in to the console as the org's Owner (1 hour)")
    .option('--org <org>', 'organization id or slug (without it, the link creates a new organization)')
    .addOption(jsonOption())
    .action(async (opts: JsonOption & { org?: string }) => {
      const link = await withServices(config(), async (s) =>
        s.consoleAccess.issueLink(opts.org ? (await s.organizations.resolve(opts.org)).id : null, CLI_ACTOR),
      );
      printResult(io, opts.json, link, () => `open this link once, before ${link.expiresAt}:\n${link.url}`);
    });

  program
    .command('signing-key')
    .description('access-token signing keys')
    .command('rotate')
    .description('sign new access tokens with a new key; the previous key still verifies, older ones retire')
    .addOption(jsonOption())
    .action(async (opts: JsonOption) => {
      const cfg = config();
      const kid = await withServices(cfg, async (s) => {
        const box = new SecretBox(await resolveSessionSecret(cfg, s.store));
        return new AccessTokenService(s.store, box, cfg.publicUrl, s.access).rotate();
      });
      printResult(io, opts.json, { kid }, () => `new signing key ${kid}`);
    });

  registerAccessCommands(program, io, config);
  registerTokenCommands(program, io, config);
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
      io.stderr(`error: ${error.message}\n`);
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

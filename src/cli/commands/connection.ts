/** `connection create|list|oidc|saml|domain`: identity provider connections and their sign-in settings. */
import fs from 'node:fs';
import { Option } from 'commander';
import { CLI_ACTOR } from '../../domain/actor.js';
import { CONNECTION_KINDS } from '../../domain/connection.js';
import { AppError } from '../../domain/errors/index.js';
import { CliFailure, type CliCommands } from '../context.js';
import { printResult, table } from '../io.js';
import { collect, jsonOption, type JsonOption } from '../options.js';

interface OidcOptions extends JsonOption {
  connection: string;
  issuer: string;
  clientId: string;
  clientSecret: string;
  groupsClaim: string;
  jit?: boolean;
}

interface SamlOptions extends JsonOption {
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
}

function read(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    throw new CliFailure(`cannot read ${file}`, 2);
  }
}

export const connectionCommands: CliCommands = (program, { io, withServices, inOrg }) => {
  const connection = program.command('connection').description('identity provider connections');
  connection
    .command('create')
    .description('connect an identity provider to an organization')
    .requiredOption('--org <org>', 'organization id or slug')
    .addOption(new Option('--kind <kind>', 'identity provider kind').choices(CONNECTION_KINDS).makeOptionMandatory())
    .requiredOption('--name <name>', 'display name, e.g. "Okta production"')
    .addOption(jsonOption())
    .action(async (opts: JsonOption & { org: string; kind: string; name: string }) => {
      const created = await inOrg(opts.org, (s, orgId) =>
        s.connections.create(orgId, { kind: opts.kind, name: opts.name }, CLI_ACTOR),
      );
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
      const list = await inOrg(opts.org, (s, orgId) => s.connections.list(orgId));
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
    .action(async (opts: OidcOptions) => {
      const endpoints = await withServices(async (s) =>
        s.ssoSettings.configureOidc(
          await s.connections.ownerOf(opts.connection),
          opts.connection,
          {
            issuer: opts.issuer,
            clientId: opts.clientId,
            clientSecret: opts.clientSecret,
            groupsClaim: opts.groupsClaim,
            jit: opts.jit === true,
          },
          CLI_ACTOR,
        ),
      );
      printResult(io, opts.json, endpoints, () =>
        [
          'OpenID Connect sign-in configured. At the identity provider, set:',
          `  Sign-in redirect URI: ${endpoints.redirectUri}`,
          `  Initiate login URI:   ${endpoints.loginUrl}`,
        ].join('\n'),
      );
    });

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
    .action(async (opts: SamlOptions) => {
      const endpoints = await withServices(async (s) =>
        s.ssoSettings.configureSaml(
          await s.connections.ownerOf(opts.connection),
          opts.connection,
          {
            ...(opts.idpMetadata ? { metadataXml: read(opts.idpMetadata) } : {}),
            ...(opts.idpEntityId ? { idpEntityId: opts.idpEntityId } : {}),
            ...(opts.idpSsoUrl ? { idpSsoUrl: opts.idpSsoUrl } : {}),
            ...(opts.idpCert?.length ? { idpCerts: opts.idpCert.map(read) } : {}),
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
      ).catch((error: unknown) => {
        // The service's rule, in this surface's words (its flags).
        if (error instanceof AppError && error.code === 'sso.saml_settings_required') {
          throw new CliFailure('give --idp-metadata FILE, or --idp-entity-id, --idp-sso-url and --idp-cert', 2);
        }
        throw error;
      });
      printResult(io, opts.json, endpoints, () =>
        [
          'SAML sign-in configured. At the identity provider, set:',
          `  Single sign-on URL / ACS URL:   ${endpoints.acsUrl}`,
          `  Audience URI / SP entity ID:    ${endpoints.entityId}`,
          `  SP metadata:                    ${endpoints.metadataUrl}`,
          `  Sign-in starts at:              ${endpoints.loginUrl}`,
        ].join('\n'),
      );
    });

  connection
    .command('domain')
    .description("register an email domain of the connection's users (sign-in discovery, trusted emails)")
    .requiredOption('--connection <id>', 'connection id')
    .requiredOption('--add <domain>', 'domain, e.g. example.com')
    .addOption(jsonOption())
    .action(async (opts: JsonOption & { connection: string; add: string }) => {
      const domain = await withServices(async (s) =>
        s.connections.addDomain(await s.connections.ownerOf(opts.connection), opts.connection, opts.add, CLI_ACTOR),
      );
      printResult(io, opts.json, { domain }, () => `registered ${domain}`);
    });
};

/**
 * The one place services are built, for the HTTP server and the CLI alike: every service,
 * sign-in flow, read model and shared limiter, from the store and a few settings. Routes
 * and commands get these and nothing else: the store itself is not handed out.
 */
import { ConsoleAccessService } from './admin/console-access.js';
import { AdminTokenService } from './admin/admin-tokens.js';
import { ConnectionService } from './admin/connections.js';
import { DirectorySyncSettingsService } from './admin/directory-sync-settings.js';
import { CsrfTokens } from './admin/csrf-tokens.js';
import { MappingService } from './admin/mappings.js';
import { OrganizationService } from './admin/organizations.js';
import { PolicyService } from './admin/policy.js';
import { ScimTokenService } from './admin/scim-tokens.js';
import { TeamService } from './admin/teams.js';
import { SsoSettingsService } from './admin/sso-settings.js';
import { AuditTrail } from './audit/audit-trail.js';
import type { Config } from './config/config.js';
import { AccessService } from './decisions/access-service.js';
import type { StoredGoogleCredentials } from './domain/directory-sync.js';
import type { GoogleCredentials } from './google/credentials.js';
import { GoogleDirectory } from './google/google-directory.js';
import { GroupDirectory } from './directory/group-directory.js';
import type { DirectoryHooks } from './directory/hooks.js';
import { DirectorySync, type SourceFactory } from './directory/sync/directory-sync.js';
import { TEAM_SYNC_HOOKS } from './directory/team-sync.js';
import { installChangeRecording } from './history/record-changes.js';
import { AccessHistoryService } from './history/access-history.js';
import { EventFeed } from './events/event-feed.js';
import { WebhookDeliverer, type DeliveryOptions } from './events/webhook-delivery.js';
import { WebhookEndpointService } from './events/webhook-endpoints.js';
import { CreationAccess } from './directory/creation-access.js';
import { UserDirectory } from './directory/user-directory.js';
import { SharedRateLimiter } from './limits/shared-rate-limiter.js';
import { GuardedFetch, parseAllowedNetworks } from './outbound/guarded-fetch.js';
import { AccessTokenService } from './sso/access-tokens.js';
import { AccountService } from './sso/accounts.js';
import { OidcLogin } from './sso/oidc-login.js';
import { SamlLogin } from './sso/saml-login.js';
import { SecretBox } from './sso/secret-box.js';
import { resolveSessionSecret } from './sso/session-secret.js';
import { SessionService } from './sso/sessions.js';
import { SignInRefusals } from './sso/sign-in-refusals.js';
import type { DirectoryBrowseReadModel } from './store/read-models/directory-browse.js';
import type { Store } from './store/store.js';
import type { Logger } from './telemetry/logger.js';

export interface ServiceSettings {
  /** The URL clients reach the service at (SCIM locations, SSO endpoints, links). */
  readonly publicUrl: string;
  /** Seals stored secrets (OIDC client secrets, signing keys) and keys CSRF tokens. */
  readonly sessionSecret: string;
  /** Networks admin-typed URLs may reach although private or loopback (default: none). */
  readonly outboundAllowedNetworks?: readonly string[];
  /** Requests per minute per SCIM token, shared by every instance (default 0: off). */
  readonly scimRateLimit?: number;
  /** Sign-in requests per minute per client IP, shared by every instance (default 0: off). */
  readonly signInRateLimit?: number;
  /** What a directory change brings in step (default: team memberships). */
  readonly hooks?: DirectoryHooks;
  /** Whether writes add typed events to the outbox (default true). */
  readonly events?: boolean;
  /** Days events are kept (default 30). */
  readonly eventRetentionDays?: number;
  /** How webhooks are sent (tick, concurrency, timeouts). */
  readonly webhookDelivery?: DeliveryOptions;
  /** Google's Directory API, token endpoint and quota (default: Google's own, 2,400 requests a minute). */
  readonly google?: { readonly apiUrl: string; readonly tokenUrl: string; readonly requestsPerMinute: number };
}

export interface Services {
  readonly organizations: OrganizationService;
  readonly connections: ConnectionService;
  readonly scimTokens: ScimTokenService;
  readonly adminTokens: AdminTokenService;
  readonly ssoSettings: SsoSettingsService;
  readonly users: UserDirectory;
  readonly groups: GroupDirectory;
  /** The directory as the console browses it (read model). */
  readonly directoryViews: DirectoryBrowseReadModel;
  readonly teams: TeamService;
  readonly mappings: MappingService;
  readonly policies: PolicyService;
  readonly access: AccessService;
  readonly auditTrail: AuditTrail;
  /** The org's event feed (and its retention). */
  readonly events: EventFeed;
  /** The org's webhook endpoints, their delivery logs. */
  readonly webhooks: WebhookEndpointService;
  /** Sends what the endpoints are owed (started by the server where WEBHOOK_DELIVERY is on). */
  readonly webhookDelivery: WebhookDeliverer;
  /** Each person's changes of access, with their causes. */
  readonly accessHistory: AccessHistoryService;
  readonly saml: SamlLogin;
  readonly oidc: OidcLogin;
  readonly signInRefusals: SignInRefusals;
  readonly sessions: SessionService;
  readonly accounts: AccountService;
  readonly accessTokens: AccessTokenService;
  readonly consoleAccess: ConsoleAccessService;
  /** Where each connection's people come from, and the Google directory sync's settings and status. */
  readonly directorySources: DirectorySyncSettingsService;
  /** Directory sync runs (one per connection at a time across the fleet) and their schedule. */
  readonly directorySync: DirectorySync;
  /** CSRF tokens of the admin API's cookie callers. */
  readonly csrf: CsrfTokens;
  readonly limits: { readonly scim: SharedRateLimiter; readonly signIn: SharedRateLimiter };
  /** Readiness: the migrations not applied yet (throws when the database does not answer). */
  pendingMigrations(): Promise<string[]>;
  /** Releases what the services hold beyond the store (outbound connections). */
  close(): Promise<void>;
}

export function createServices(store: Store, settings: ServiceSettings): Services {
  const { publicUrl, sessionSecret } = settings;
  const hooks = settings.hooks ?? TEAM_SYNC_HOOKS;
  const allowed = parseAllowedNetworks(settings.outboundAllowedNetworks ?? []);
  if (typeof allowed === 'string') throw new Error(allowed);
  const outbound = new GuardedFetch(allowed);
  const box = new SecretBox(sessionSecret);
  const accessHistory = installChangeRecording(store, { events: settings.events ?? true });
  const creationAccess = new CreationAccess(store);
  const users = new UserDirectory(store, hooks, (orgId) => creationAccess.grantsAccess(orgId));
  const groups = new GroupDirectory(store, hooks);
  const directories = { users, groups };
  const organizations = new OrganizationService(store);
  const access = new AccessService(store);
  const sessions = new SessionService(store);
  const accessTokens = new AccessTokenService(store, box, publicUrl, access);
  const webhookDelivery = new WebhookDeliverer(store, outbound, box, accessTokens, settings.webhookDelivery ?? {});
  const google = settings.google;
  const openCredentials = (c: StoredGoogleCredentials): GoogleCredentials =>
    c.kind === 'service_account'
      ? { ...c, privateKey: box.open(c.privateKeySealed) }
      : { ...c, clientSecret: box.open(c.clientSecretSealed), refreshToken: box.open(c.refreshTokenSealed) };
  const googleDirectory: SourceFactory = (s) =>
    new GoogleDirectory({
      credentials: openCredentials(s.credentials),
      customer: s.customer,
      orgUnits: s.orgUnits,
      groups: s.groups,
      ...(google
        ? { apiUrl: google.apiUrl, tokenUrl: google.tokenUrl, requestsPerMinute: google.requestsPerMinute }
        : {}),
    });
  return {
    organizations,
    connections: new ConnectionService(store, publicUrl),
    scimTokens: new ScimTokenService(store),
    adminTokens: new AdminTokenService(store),
    ssoSettings: new SsoSettingsService(store, publicUrl, box, outbound),
    users,
    groups,
    directoryViews: store.readModels.directory,
    teams: new TeamService(store),
    mappings: new MappingService(store),
    policies: new PolicyService(store),
    access,
    auditTrail: new AuditTrail(store),
    accessHistory: new AccessHistoryService(store, accessHistory),
    events: new EventFeed(store, settings.eventRetentionDays ?? 30),
    webhooks: new WebhookEndpointService(store, box, outbound, () => webhookDelivery.endpointsChanged()),
    webhookDelivery,
    saml: new SamlLogin(store, directories, publicUrl),
    oidc: new OidcLogin(store, directories, box, publicUrl, outbound),
    signInRefusals: new SignInRefusals(store),
    sessions,
    accounts: new AccountService(store, sessions, access, accessTokens),
    accessTokens,
    consoleAccess: new ConsoleAccessService(store, organizations, publicUrl),
    directorySources: new DirectorySyncSettingsService(store, box, publicUrl, (s, channel) =>
      googleDirectory(s).stopWatch(channel),
    ),
    directorySync: new DirectorySync(store, users, groups, googleDirectory, {
      // Google posts change notifications only to https.
      notificationAddress: (connectionId) =>
        publicUrl.startsWith('https://') ? `${publicUrl}/google/notifications/${connectionId}` : undefined,
    }),
    csrf: new CsrfTokens(sessionSecret),
    limits: {
      scim: new SharedRateLimiter(store.repos.rateLimits, settings.scimRateLimit ?? 0),
      signIn: new SharedRateLimiter(store.repos.rateLimits, settings.signInRateLimit ?? 0),
    },
    pendingMigrations: () => store.pendingMigrations(),
    close: () => outbound.close(),
  };
}

/** The services as the configuration says, with the session secret from SESSION_SECRET or the database. */
export async function servicesFor(config: Config, store: Store, logger?: Logger): Promise<Services> {
  return createServices(store, {
    publicUrl: config.publicUrl,
    sessionSecret: await resolveSessionSecret(config, store, logger),
    outboundAllowedNetworks: config.outboundAllowedNetworks,
    scimRateLimit: config.scimRateLimit,
    signInRateLimit: config.signInRateLimit,
    google: config.google,
    events: config.events,
    eventRetentionDays: config.eventRetentionDays,
    webhookDelivery: {
      claimMs: config.webhookClaimSeconds * 1000,
      // An answer is waited for at most half the claim, so no other instance takes it meanwhile.
      timeoutMs: Math.min(10_000, (config.webhookClaimSeconds * 1000) / 2),
    },
  });
}

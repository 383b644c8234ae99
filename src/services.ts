/** Builds every service from the store: shared by the HTTP server and the CLI. */
import { ConsoleAccessService } from './admin/console-access.js';
import { AdminTokenService } from './admin/admin-tokens.js';
import { ConnectionService } from './admin/connections.js';
import { MappingService } from './admin/mappings.js';
import { OrganizationService } from './admin/organizations.js';
import { PolicyService } from './admin/policy.js';
import { ScimTokenService } from './admin/scim-tokens.js';
import { TeamService } from './admin/teams.js';
import { SsoSettingsService } from './admin/sso-settings.js';
import { AccessService } from './decisions/access-service.js';
import { SessionService } from './sso/sessions.js';
import { GroupDirectory } from './directory/group-directory.js';
import type { DirectoryHooks } from './directory/hooks.js';
import { TEAM_SYNC_HOOKS } from './directory/team-sync.js';
import { UserDirectory } from './directory/user-directory.js';
import type { Store } from './store/store.js';

export interface Services {
  readonly store: Store;
  readonly organizations: OrganizationService;
  readonly connections: ConnectionService;
  readonly scimTokens: ScimTokenService;
  readonly adminTokens: AdminTokenService;
  readonly users: UserDirectory;
  readonly groups: GroupDirectory;
  readonly teams: TeamService;
  readonly mappings: MappingService;
  readonly policies: PolicyService;
  readonly access: AccessService;
  readonly sessions: SessionService;
  readonly ssoSettings: SsoSettingsService;
  readonly consoleAccess: ConsoleAccessService;
}

export function createServices(
  store: Store,
  hooks: DirectoryHooks = TEAM_SYNC_HOOKS,
  publicUrl = 'http://localhost:8080',
): Services {
  const organizations = new OrganizationService(store);
  return {
    users: new UserDirectory(store, hooks),
    groups: new GroupDirectory(store, hooks),
    store,
    organizations,
    connections: new ConnectionService(store),
    scimTokens: new ScimTokenService(store),
    adminTokens: new AdminTokenService(store),
    teams: new TeamService(store),
    mappings: new MappingService(store),
    policies: new PolicyService(store),
    access: new AccessService(store),
    sessions: new SessionService(store),
    ssoSettings: new SsoSettingsService(store, publicUrl),
    consoleAccess: new ConsoleAccessService(store, organizations, publicUrl),
  };
}

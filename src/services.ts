/** Builds every service from the store: shared by the HTTP server and the CLI. */
import { AdminTokenService } from './admin/admin-tokens.js';
import { ConnectionService } from './admin/connections.js';
import { OrganizationService } from './admin/organizations.js';
import { ScimTokenService } from './admin/scim-tokens.js';
import { GroupDirectory } from './directory/group-directory.js';
import { NO_DIRECTORY_HOOKS, type DirectoryHooks } from './directory/hooks.js';
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
}

export function createServices(store: Store, hooks: DirectoryHooks = NO_DIRECTORY_HOOKS): Services {
  return {
    users: new UserDirectory(store, hooks),
    groups: new GroupDirectory(store, hooks),
    store,
    organizations: new OrganizationService(store),
    connections: new ConnectionService(store),
    scimTokens: new ScimTokenService(store),
    adminTokens: new AdminTokenService(store),
  };
}

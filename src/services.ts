/** Builds every service from the store: shared by the HTTP server and the CLI. */
import { AdminTokenService } from './admin/admin-tokens.js';
import { ConnectionService } from './admin/connections.js';
import { OrganizationService } from './admin/organizations.js';
import { ScimTokenService } from './admin/scim-tokens.js';
import type { Store } from './store/store.js';

export interface Services {
  readonly store: Store;
  readonly organizations: OrganizationService;
  readonly connections: ConnectionService;
  readonly scimTokens: ScimTokenService;
  readonly adminTokens: AdminTokenService;
}

export function createServices(store: Store): Services {
  return {
    store,
    organizations: new OrganizationService(store),
    connections: new ConnectionService(store),
    scimTokens: new ScimTokenService(store),
    adminTokens: new AdminTokenService(store),
  };
}

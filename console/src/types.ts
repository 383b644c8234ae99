/** The admin API's shapes as the console reads them (the OpenAPI document has them in full). */
export interface Session {
  org: { id: string; name: string; slug: string };
  role: 'Owner' | 'Admin' | 'User';
  via: 'token' | 'console';
  actor: { type: string; id: string | null; label: string | null };
  csrfToken: string | null;
}

export interface ScimToken {
  id: string;
  prefix: string;
  description: string | null;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
  expiresAt: string | null;
}

export interface ConnectionSummary {
  id: string;
  kind: 'okta' | 'entra' | 'google' | 'generic';
  name: string;
  createdAt: string;
  status: {
    lastScimRequestAt: string | null;
    lastScimError: { at: string; status: number; method: string; path: string; detail: string } | null;
    users: number;
    groups: number;
    source: 'scim' | 'google';
    lastSync: { at: string; status: string; errorMessage: string | null } | null;
  };
  sso: { saml: boolean; oidc: boolean };
}

export interface ConnectionDetail extends ConnectionSummary {
  scimBaseUrl: string;
  saml: {
    idpEntityId: string;
    idpSsoUrl: string;
    certificates: number;
    jit: boolean;
    allowIdpInitiated: boolean;
  } | null;
  oidc: { issuer: string; clientId: string; groupsClaim: string; jit: boolean } | null;
  samlEndpoints: { entityId: string; acsUrl: string; metadataUrl: string; loginUrl: string };
  oidcEndpoints: { redirectUri: string; loginUrl: string };
  domains: string[];
  tokens: ScimToken[];
}

export interface UserRow {
  id: string;
  userName: string;
  displayName: string | null;
  active: boolean;
  email: string | null;
  connectionId: string | null;
}

export interface GroupRow {
  id: string;
  displayName: string;
  externalId: string | null;
  connectionId: string | null;
  memberCount: number;
  includes: Array<{ id: string; displayName: string }>;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface Team {
  id: string;
  name: string;
  description: string | null;
  scopes: string[];
  deviceGroups: string[];
  members: { idp: number; manual: number };
  /** Granted scopes the org policy cuts, and why. */
  suppressed: Array<{ scope: string; reason: string }>;
}

export interface Mapping {
  id: string;
  connectionId: string;
  matchBy: 'id' | 'external_id' | 'display_name';
  matchValue: string;
  grantsMembership: boolean;
  role: string | null;
  teams: Array<{ id: string; name: string }>;
  group: { id: string; displayName: string; members: number } | null;
  warning: string | null;
  grantsEveryScope: boolean;
}

export interface AccessSummary {
  member: boolean;
  role: string;
  teams: string[];
  scopes: string[];
  deviceGroups: string[];
}

export interface Delta {
  teams: string[];
  scopes: string[];
  deviceGroups: string[];
}

export interface Preview {
  affectedUsers: number;
  changedUsers: number;
  truncated: boolean;
  grantsEveryScope?: boolean;
  users: Array<{
    userId: string;
    userName: string;
    before: AccessSummary;
    after: AccessSummary;
    gains: Delta;
    losses: Delta;
    changed: boolean;
  }>;
}

export interface Explained {
  userId: string;
  userName: string;
  active: boolean;
  member: boolean;
  role: string;
  scopes: string[];
  teams: Array<{ id: string; name: string }>;
  deviceGroups: Array<{ name: string; actions: string[] }>;
  explanation: string[];
}

export interface Catalog {
  resources: string[];
  actions: string[];
  scopes: string[];
}

export interface AuditEvent {
  id: string;
  occurredAt: string;
  actorType: string;
  actorLabel: string | null;
  action: string;
  targetType: string | null;
  targetLabel: string | null;
  targetId: string | null;
  data: Record<string, unknown> | null;
}

export interface SyncCounts {
  usersCreated: number;
  usersUpdated: number;
  usersDeactivated: number;
  usersReactivated: number;
  usersDeleted: number;
  groupsCreated: number;
  groupsUpdated: number;
  groupsDeleted: number;
  membershipsAdded: number;
  membershipsRemoved: number;
  usersSkipped: number;
}

export interface SyncRun {
  id: string;
  trigger: 'schedule' | 'manual' | 'approval' | 'watch';
  status: 'running' | 'succeeded' | 'failed' | 'held' | 'approved' | 'discarded';
  startedAt: string;
  finishedAt: string | null;
  counts: SyncCounts | null;
  errorCode: string | null;
  errorMessage: string | null;
  held: {
    total: number;
    limit: number;
    users: Array<{ id: string; userName: string; action: 'deactivate' | 'delete' }>;
  } | null;
}

export interface DirectorySyncStatus {
  source: 'scim' | 'google';
  google: {
    credentials:
      { kind: 'service_account'; clientEmail: string; subject: string } | { kind: 'oauth'; clientId: string };
    customer: string;
    orgUnits: string[];
    groups: string[];
    intervalMinutes: number;
    deleteAfterDays: number;
    guard: { percent: number; minimum: number };
    watch: boolean;
  } | null;
  nextRunAt: string | null;
  running: boolean;
  lastRun: SyncRun | null;
  held: SyncRun | null;
  runs: SyncRun[];
  watching: { until: string } | null;
  scopes: string[];
}

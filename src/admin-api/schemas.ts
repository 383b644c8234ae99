/** Schemas shared by the admin API's routes (requests are validated by them; OpenAPI is generated from them). */
import { z } from 'zod';
import { CONNECTION_KINDS } from '../domain/connection.js';
import { ROLES } from '../domain/role.js';
import { MAPPING_MATCHES } from '../domain/team.js';

export const Id = z.string().min(1).max(512);
export const Role = z.enum(ROLES);
export const Timestamp = z.string().describe('ISO 8601 time');

export const ConnectionKind = z.enum(CONNECTION_KINDS);

export const ScimTokenView = z.object({
  id: z.string(),
  connectionId: z.string(),
  prefix: z.string().describe('the public start of the token, to recognise it'),
  description: z.string().nullable(),
  createdAt: Timestamp,
  lastUsedAt: Timestamp.nullable(),
  revokedAt: Timestamp.nullable(),
  expiresAt: Timestamp.nullable().describe('null: never expires'),
});

export const IssuedToken = z.object({
  id: z.string(),
  token: z.string().describe('shown once: only its hash is stored'),
  expiresAt: Timestamp.nullable().describe('null: never expires'),
});

/** `expiresIn` of a token to issue: 30m, 12h, 90d, 52w (at most ten years); absent: never expires. */
export const ExpiresIn = z
  .string()
  .max(16)
  .regex(/^\s*\d{1,6}\s*[mhdw]\s*$/, 'a duration such as 30m, 12h, 90d or 52w')
  .optional()
  .describe('expire after 30m, 12h, 90d, 52w, …; absent: never');

export const AdminTokenView = z.object({
  id: z.string(),
  kind: z.enum(['admin', 'api']).describe('admin: the admin API; api: the decision API'),
  prefix: z.string().describe('the public start of the token (ibadm_… or ibapi_…), to recognise it'),
  role: z.enum(['Owner', 'Admin', 'User']),
  description: z.string().nullable(),
  createdAt: Timestamp,
  expiresAt: Timestamp.nullable(),
  lastUsedAt: Timestamp.nullable(),
  revokedAt: Timestamp.nullable(),
});

export const SamlEndpoints = z.object({
  entityId: z.string(),
  acsUrl: z.string(),
  metadataUrl: z.string(),
  loginUrl: z.string(),
});

export const OidcEndpoints = z.object({ redirectUri: z.string(), loginUrl: z.string() });

export const ConnectionStatus = z.object({
  lastScimRequestAt: Timestamp.nullable(),
  lastScimError: z
    .object({ at: Timestamp, status: z.number(), method: z.string(), path: z.string(), detail: z.string() })
    .nullable(),
  users: z.number(),
  groups: z.number(),
  source: z.enum(['scim', 'google']).describe("where the connection's people come from"),
  lastSync: z
    .object({
      at: Timestamp,
      status: z.enum(['running', 'succeeded', 'failed', 'held', 'approved', 'discarded']),
      errorMessage: z.string().nullable(),
    })
    .nullable()
    .describe("the directory sync's last finished run (Google connections it feeds)"),
});

export const ConnectionSummary = z.object({
  id: z.string(),
  kind: ConnectionKind,
  name: z.string(),
  createdAt: Timestamp,
  status: ConnectionStatus,
  sso: z.object({ saml: z.boolean(), oidc: z.boolean() }),
});

export const ConnectionDetail = ConnectionSummary.extend({
  scimBaseUrl: z.string(),
  saml: z
    .object({
      idpEntityId: z.string(),
      idpSsoUrl: z.string(),
      certificates: z.number(),
      wantResponseSigned: z.boolean(),
      allowIdpInitiated: z.boolean(),
      jit: z.boolean(),
      attributes: z.object({ email: z.string(), name: z.string(), groups: z.string() }),
      idpLogoutUrl: z.string().nullable(),
    })
    .nullable(),
  oidc: z.object({ issuer: z.string(), clientId: z.string(), groupsClaim: z.string(), jit: z.boolean() }).nullable(),
  samlEndpoints: SamlEndpoints,
  oidcEndpoints: OidcEndpoints,
  domains: z.array(z.string()),
  tokens: z.array(ScimTokenView),
});

export const Team = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  scopes: z.array(z.string()),
  deviceGroups: z.array(z.string()),
  members: z.object({ idp: z.number(), manual: z.number() }),
  suppressed: z
    .array(z.object({ scope: z.string(), reason: z.string() }))
    .describe('scopes of the team the org policy suppresses, and why'),
  version: z.number(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

export const MappingMatch = z.enum(MAPPING_MATCHES);

export const Mapping = z.object({
  id: z.string(),
  connectionId: z.string(),
  matchBy: MappingMatch,
  matchValue: z.string(),
  grantsMembership: z.boolean(),
  role: Role.nullable(),
  teamIds: z.array(z.string()),
  teams: z.array(z.object({ id: z.string(), name: z.string() })),
  group: z.object({ id: z.string(), displayName: z.string(), members: z.number() }).nullable(),
  warning: z.string().nullable(),
  grantsEveryScope: z
    .boolean()
    .describe("its members get every scope: no team, no role above User, and the org's User default is every scope"),
  version: z.number(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

const AccessSummary = z.object({
  member: z.boolean(),
  role: z.string(),
  teams: z.array(z.string()),
  scopes: z.array(z.string()),
  deviceGroups: z.array(z.string()).describe('"group: action" pairs'),
});
const Delta = z.object({ teams: z.array(z.string()), scopes: z.array(z.string()), deviceGroups: z.array(z.string()) });

export const MappingPreview = z.object({
  affectedUsers: z.number(),
  changedUsers: z.number(),
  truncated: z.boolean(),
  grantsEveryScope: z
    .boolean()
    .optional()
    .describe(
      'after the change, members get every scope (no team, no role above User, the User default is every scope)',
    ),
  users: z.array(
    z.object({
      userId: z.string(),
      userName: z.string(),
      before: AccessSummary,
      after: AccessSummary,
      gains: Delta,
      losses: Delta,
      changed: z.boolean(),
    }),
  ),
});

export const Explanation = z
  .object({
    userId: z.string(),
    userName: z.string(),
    active: z.boolean(),
    member: z.boolean(),
    role: Role,
    scopes: z.array(z.string()),
    teams: z.array(z.object({ id: z.string(), name: z.string() }).loose()),
    deviceGroups: z.array(z.object({ name: z.string(), actions: z.array(z.string()) })),
    explanation: z.array(z.string()),
  })
  .loose();

export const AuditEvent = z.object({
  id: z.string(),
  occurredAt: Timestamp,
  actorType: z.string(),
  actorId: z.string().nullable(),
  actorLabel: z.string().nullable(),
  action: z.string(),
  targetType: z.string().nullable(),
  targetId: z.string().nullable(),
  targetLabel: z.string().nullable(),
  requestId: z.string().nullable(),
  data: z.record(z.string(), z.unknown()).nullable(),
});

export const Policy = z.object({
  membership: z.enum(['mapped', 'all_provisioned']),
  catalog: z.object({ resources: z.array(z.string()), actions: z.array(z.string()) }),
  defaultUserScopes: z.array(z.string()).nullable(),
  allowedScopes: z.array(z.string()).nullable(),
  deniedScopes: z.array(z.string()),
});

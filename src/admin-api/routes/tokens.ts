/**
 * The org's automation tokens: admin API tokens (Owners issue, list and revoke them: they
 * carry a role) and decision API tokens for factory services (Admins and Owners). Each is
 * shown once when issued, may expire, and records its last use.
 */
import { z } from 'zod';
import { expiresAtFor, type ApiTokenKind } from '../../domain/secret-token.js';
import type { AdminApiDeps } from '../deps.js';
import { route, type AdminRoute, type RequiredRole } from '../route-table.js';
import { AdminTokenView, ExpiresIn, Id, IssuedToken } from '../schemas.js';

/** Listing and revoking, the same for both kinds of token. */
function listAndRevoke(
  { services }: AdminApiDeps,
  kind: ApiTokenKind,
  path: string,
  role: RequiredRole,
  name: { readonly words: string; readonly op: string },
): AdminRoute[] {
  return [
    route({
      method: 'get',
      path,
      operationId: `list${name.op}s`,
      summary: `List the org's ${name.words}s: created, expiry, last use, revocation (never the tokens)`,
      tag: 'tokens',
      role,
      response: z.object({ items: z.array(AdminTokenView) }),
      handle: async ({ caller }) => ({ items: await services.adminTokens.list(caller.orgId, kind) }),
    }),
    route({
      method: 'delete',
      path: `${path}/{tokenId}`,
      operationId: `revoke${name.op}`,
      summary: `Revoke an ${name.words}: refused at once here, within 5 seconds on every other instance`,
      tag: 'tokens',
      role,
      params: z.object({ tokenId: Id }),
      response: AdminTokenView,
      handle: ({ caller, params }) => services.adminTokens.revoke(caller.orgId, params.tokenId, caller.actor, kind),
    }),
  ];
}

export function tokenRoutes(deps: AdminApiDeps): AdminRoute[] {
  const { services } = deps;
  return [
    route({
      method: 'post',
      path: '/admin-tokens',
      operationId: 'issueAdminToken',
      summary: 'Issue an admin API token for automation (shown once)',
      tag: 'tokens',
      role: 'Owner',
      body: z.object({
        role: z.enum(['Owner', 'Admin']).default('Admin'),
        description: z.string().trim().max(200).optional(),
        expiresIn: ExpiresIn,
      }),
      response: IssuedToken,
      status: 201,
      handle: ({ caller, body }) =>
        services.adminTokens.issue(caller.orgId, caller.actor, {
          role: body.role,
          description: body.description || null,
          expiresAt: expiresAtFor(body.expiresIn),
        }),
    }),
    ...listAndRevoke(deps, 'admin', '/admin-tokens', 'Owner', { words: 'admin token', op: 'AdminToken' }),
    route({
      method: 'post',
      path: '/api-tokens',
      operationId: 'issueApiToken',
      summary: 'Issue a decision API token for a factory service (shown once)',
      tag: 'tokens',
      role: 'Admin',
      body: z.object({ description: z.string().trim().max(200).optional(), expiresIn: ExpiresIn }),
      response: IssuedToken,
      status: 201,
      handle: ({ caller, body }) =>
        services.adminTokens.issueApi(caller.orgId, caller.actor, {
          description: body.description || 'decision API',
          expiresAt: expiresAtFor(body.expiresIn),
        }),
    }),
    ...listAndRevoke(deps, 'api', '/api-tokens', 'Admin', { words: 'API token', op: 'ApiToken' }),
  ];
}

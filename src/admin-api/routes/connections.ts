/** Connections: create, status, SCIM tokens, SAML/OIDC settings, sign-in domains. Reads: Admins; changes: Owners. */
import { z } from 'zod';
import { NotFoundError } from '../../domain/errors/index.js';
import type { AdminApiDeps } from '../deps.js';
import { expiresAtFor } from '../../domain/secret-token.js';
import { PageQuery, page, pageOf, route, type AdminRoute } from '../route-table.js';
import {
  ConnectionDetail,
  ConnectionKind,
  ConnectionSummary,
  Id,
  ExpiresIn,
  IssuedToken,
  OidcEndpoints,
  SamlEndpoints,
  ScimTokenView,
} from '../schemas.js';

const ConnectionParams = z.object({ connectionId: Id });
const TokenParams = z.object({ connectionId: Id, tokenId: Id });

export function connectionRoutes({ services }: AdminApiDeps): AdminRoute[] {
  return [
    route({
      method: 'get',
      path: '/connections',
      operationId: 'listConnections',
      summary: 'List connections with their live status',
      tag: 'connections',
      role: 'Admin',
      query: PageQuery.extend({ q: z.string().max(200).optional().describe('part of the name') }),
      response: page(ConnectionSummary),
      handle: async ({ caller, query }) => {
        const all = await services.connections.list(caller.orgId);
        const q = query.q?.toLowerCase();
        const chosen = pageOf(
          q ? all.filter((c) => c.name.toLowerCase().includes(q)) : all,
          (c) => c.name,
          query.cursor,
          query.limit,
        );
        return {
          items: await services.connections.statuses(caller.orgId, chosen.items),
          nextCursor: chosen.nextCursor,
        };
      },
    }),
    route({
      method: 'post',
      path: '/connections',
      operationId: 'createConnection',
      summary: 'Create a connection',
      tag: 'connections',
      role: 'Owner',
      body: z.object({ kind: ConnectionKind, name: z.string().trim().min(1).max(200) }),
      response: ConnectionDetail,
      status: 201,
      handle: async ({ caller, body }) => {
        const c = await services.connections.create(caller.orgId, body, caller.actor);
        return services.connections.detail(caller.orgId, c.id);
      },
    }),
    route({
      method: 'get',
      path: '/connections/{connectionId}',
      operationId: 'getConnection',
      summary: 'Show a connection: status, settings, what to enter at the IdP',
      tag: 'connections',
      role: 'Admin',
      params: ConnectionParams,
      response: ConnectionDetail,
      handle: ({ caller, params }) => services.connections.detail(caller.orgId, params.connectionId),
    }),
    route({
      method: 'get',
      path: '/connections/{connectionId}/scim-tokens',
      operationId: 'listScimTokens',
      summary: "List a connection's SCIM tokens (never the tokens themselves)",
      tag: 'connections',
      role: 'Admin',
      params: ConnectionParams,
      response: z.object({ items: z.array(ScimTokenView) }),
      handle: async ({ caller, params }) => ({
        items: await services.scimTokens.list(caller.orgId, params.connectionId),
      }),
    }),
    route({
      method: 'post',
      path: '/connections/{connectionId}/scim-tokens',
      operationId: 'issueScimToken',
      summary: 'Issue a SCIM token (shown once)',
      tag: 'connections',
      role: 'Owner',
      params: ConnectionParams,
      body: z.object({ description: z.string().trim().max(200).optional(), expiresIn: ExpiresIn }),
      response: IssuedToken,
      status: 201,
      handle: ({ caller, params, body }) =>
        services.scimTokens.issue(
          caller.orgId,
          params.connectionId,
          caller.actor,
          body.description || null,
          expiresAtFor(body.expiresIn),
        ),
    }),
    route({
      method: 'post',
      path: '/connections/{connectionId}/scim-tokens/{tokenId}/rotate',
      operationId: 'rotateScimToken',
      summary: 'Rotate a SCIM token (the new one is shown once; the old one stops working now)',
      tag: 'connections',
      role: 'Owner',
      params: TokenParams,
      response: IssuedToken.extend({ revoked: z.string() }),
      status: 201,
      handle: async ({ caller, params }) => {
        await checkTokenOf(caller.orgId, params);
        return services.scimTokens.rotate(caller.orgId, params.tokenId, caller.actor);
      },
    }),
    route({
      method: 'delete',
      path: '/connections/{connectionId}/scim-tokens/{tokenId}',
      operationId: 'revokeScimToken',
      summary: 'Revoke a SCIM token',
      tag: 'connections',
      role: 'Owner',
      params: TokenParams,
      response: ScimTokenView,
      handle: async ({ caller, params }) => {
        await checkTokenOf(caller.orgId, params);
        return services.scimTokens.revoke(caller.orgId, params.tokenId, caller.actor);
      },
    }),
    route({
      method: 'put',
      path: '/connections/{connectionId}/saml',
      operationId: 'configureSaml',
      summary: "Set SAML sign-in from the IdP's metadata (XML or URL) or its values",
      tag: 'connections',
      role: 'Owner',
      params: ConnectionParams,
      body: z.object({
        metadataXml: z.string().max(1_000_000).optional(),
        metadataUrl: z.string().max(2048).optional(),
        idpEntityId: z.string().max(1024).optional(),
        idpSsoUrl: z.string().max(2048).optional(),
        idpCerts: z.array(z.string().max(20_000)).max(5).optional(),
        wantResponseSigned: z.boolean().optional(),
        allowIdpInitiated: z.boolean().optional(),
        jit: z.boolean().optional(),
        idpLogoutUrl: z.string().max(2048).optional(),
        attributes: z
          .object({ email: z.string().max(512), name: z.string().max(512), groups: z.string().max(512) })
          .partial()
          .optional(),
      }),
      response: SamlEndpoints,
      handle: ({ caller, params, body }) =>
        services.ssoSettings.configureSaml(caller.orgId, params.connectionId, body, caller.actor),
    }),
    route({
      method: 'put',
      path: '/connections/{connectionId}/oidc',
      operationId: 'configureOidc',
      summary: 'Set OpenID Connect sign-in',
      tag: 'connections',
      role: 'Owner',
      params: ConnectionParams,
      body: z.object({
        issuer: z.string().min(1).max(2048),
        clientId: z.string().min(1).max(512),
        clientSecret: z.string().min(1).max(4096),
        groupsClaim: z.string().max(256).optional(),
        jit: z.boolean().optional(),
      }),
      response: OidcEndpoints,
      handle: ({ caller, params, body }) =>
        services.ssoSettings.configureOidc(caller.orgId, params.connectionId, body, caller.actor),
    }),
    route({
      method: 'post',
      path: '/connections/{connectionId}/domains',
      operationId: 'addDomain',
      summary: 'Register an email domain for sign-in discovery',
      tag: 'connections',
      role: 'Owner',
      params: ConnectionParams,
      body: z.object({ domain: z.string().min(1).max(253) }),
      response: z.object({ domain: z.string() }),
      status: 201,
      handle: async ({ caller, params, body }) => ({
        domain: await services.connections.addDomain(caller.orgId, params.connectionId, body.domain, caller.actor),
      }),
    }),
    route({
      method: 'delete',
      path: '/connections/{connectionId}/domains/{domain}',
      operationId: 'removeDomain',
      summary: 'Remove an email domain',
      tag: 'connections',
      role: 'Owner',
      params: z.object({ connectionId: Id, domain: z.string().min(1).max(253) }),
      handle: ({ caller, params }) =>
        services.connections.removeDomain(caller.orgId, params.connectionId, params.domain, caller.actor),
    }),
  ];

  /** A token named under a connection must belong to it (and to the caller's org). */
  async function checkTokenOf(orgId: string, params: { connectionId: string; tokenId: string }): Promise<void> {
    if ((await services.scimTokens.connectionOf(orgId, params.tokenId)) !== params.connectionId) {
      throw new NotFoundError('scim_token', params.tokenId);
    }
  }
}

/**
 * Mappings (IdP group → membership, role, teams) and their preview. Admins manage them;
 * a mapping that grants (or stops granting) the Owner role is an Owner's change.
 */
import { z } from 'zod';
import { ForbiddenError } from '../../domain/errors/index.js';
import type { GroupMapping } from '../../domain/team.js';
import type { AdminApiDeps } from '../deps.js';
import { PageQuery, page, pageOf, route, type AdminCaller, type AdminRoute } from '../route-table.js';
import { Id, Mapping, MappingMatch, MappingPreview, Role } from '../schemas.js';

const MappingBody = z.object({
  connectionId: Id,
  group: z.string().min(1).max(512).describe("the group's SCIM id, externalId or display name, as matchBy says"),
  matchBy: MappingMatch.default('id'),
  role: Role.nullable().optional(),
  teams: z.array(Id).max(200).optional().describe('team ids or names'),
  grantsMembership: z.boolean().optional(),
});

const MappingChange = z.object({
  role: Role.nullable().optional(),
  teams: z.array(Id).max(200).optional(),
  grantsMembership: z.boolean().optional(),
});

const MappingParams = z.object({ mappingId: Id });

function ownerOnly(caller: AdminCaller, ...roles: Array<string | null | undefined>): void {
  if (caller.role !== 'Owner' && roles.includes('Owner')) {
    throw new ForbiddenError('Only an Owner can map a group to the Owner role', 'auth.role');
  }
}

export function mappingRoutes({ services }: AdminApiDeps): AdminRoute[] {
  const view = (orgId: string, m: GroupMapping) => services.mappings.describe(orgId, m);
  /** The role a mapping grants today (a missing mapping is a 404). */
  const existing = async (orgId: string, id: string) => (await services.mappings.get(orgId, id)).role;

  return [
    route({
      method: 'get',
      path: '/mappings',
      operationId: 'listMappings',
      summary: 'List group mappings',
      tag: 'mappings',
      role: 'Admin',
      query: PageQuery.extend({
        connectionId: Id.optional(),
        q: z.string().max(200).optional().describe('part of the matched value or group name'),
      }),
      response: page(Mapping),
      handle: async ({ caller, query }) => {
        const all = await services.mappings.list(caller.orgId);
        const views = await Promise.all(
          all
            .filter((m) => !query.connectionId || m.connectionId === query.connectionId)
            .map((m) => view(caller.orgId, m)),
        );
        const q = query.q?.toLowerCase();
        const chosen = q
          ? views.filter((m) => `${m.matchValue} ${m.group?.displayName ?? ''}`.toLowerCase().includes(q))
          : views;
        return pageOf(chosen, (m) => m.group?.displayName ?? m.matchValue, query.cursor, query.limit);
      },
    }),
    route({
      method: 'post',
      path: '/mappings',
      operationId: 'createMapping',
      summary: 'Map an IdP group to membership, a role and teams',
      tag: 'mappings',
      role: 'Admin',
      body: MappingBody,
      response: Mapping.extend({ membershipsChanged: z.number() }),
      status: 201,
      handle: async ({ caller, body }) => {
        ownerOnly(caller, body.role);
        const r = await services.mappings.create(caller.orgId, body, caller.actor);
        return { ...(await view(caller.orgId, r.mapping)), membershipsChanged: r.membershipsChanged };
      },
    }),
    route({
      method: 'patch',
      path: '/mappings/{mappingId}',
      operationId: 'updateMapping',
      summary: 'Change what a mapping grants',
      tag: 'mappings',
      role: 'Admin',
      params: MappingParams,
      body: MappingChange,
      response: Mapping.extend({ membershipsChanged: z.number() }),
      handle: async ({ caller, params, body }) => {
        ownerOnly(caller, body.role, await existing(caller.orgId, params.mappingId));
        const r = await services.mappings.update(caller.orgId, params.mappingId, body, caller.actor);
        return { ...(await view(caller.orgId, r.mapping)), membershipsChanged: r.membershipsChanged };
      },
    }),
    route({
      method: 'delete',
      path: '/mappings/{mappingId}',
      operationId: 'deleteMapping',
      summary: 'Delete a mapping',
      tag: 'mappings',
      role: 'Admin',
      params: MappingParams,
      handle: async ({ caller, params }) => {
        ownerOnly(caller, await existing(caller.orgId, params.mappingId));
        await services.mappings.delete(caller.orgId, params.mappingId, caller.actor);
      },
    }),
    route({
      method: 'post',
      path: '/mappings/preview',
      operationId: 'previewMapping',
      summary:
        "Preview a mapping change: each affected user's gained and lost teams, role and scopes (nothing is saved)",
      tag: 'mappings',
      role: 'Admin',
      body: z.discriminatedUnion('operation', [
        z.object({ operation: z.literal('create'), mapping: MappingBody }),
        z.object({ operation: z.literal('update'), mappingId: Id, change: MappingChange }),
        z.object({ operation: z.literal('delete'), mappingId: Id }),
      ]),
      query: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(200) }),
      response: MappingPreview,
      handle: ({ caller, body, query }) => services.mappings.preview(caller.orgId, body, caller.actor, query.limit),
    }),
  ];
}

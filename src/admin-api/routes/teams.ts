/** Teams (scopes, device groups, manual members) and the scope catalog they pick from. Admins and Owners. */
import { z } from 'zod';
import { everyScope } from '../../access/scope.js';
import type { AdminApiDeps } from '../deps.js';
import { PageQuery, page, pageOf, route, type AdminRoute } from '../route-table.js';
import { Id, Team } from '../schemas.js';

const TeamParams = z.object({ team: Id.describe('team id or name') });
const Scopes = z.array(z.string().min(1).max(128)).max(500);
const DeviceGroups = z.array(z.string().trim().min(1).max(200)).max(500);

export function teamRoutes({ services }: AdminApiDeps): AdminRoute[] {
  const { teams, policies } = services;
  return [
    route({
      method: 'get',
      path: '/catalog',
      operationId: 'getScopeCatalog',
      summary: "The org's scope catalog: resources × actions",
      tag: 'teams',
      role: 'Admin',
      response: z.object({ resources: z.array(z.string()), actions: z.array(z.string()), scopes: z.array(z.string()) }),
      handle: async ({ caller }) => {
        const { catalog } = await policies.get(caller.orgId);
        return { resources: catalog.resources, actions: catalog.actions, scopes: everyScope(catalog) };
      },
    }),
    route({
      method: 'get',
      path: '/teams',
      operationId: 'listTeams',
      summary: 'List teams',
      tag: 'teams',
      role: 'Admin',
      query: PageQuery.extend({ q: z.string().max(200).optional().describe('part of the name') }),
      response: page(Team),
      handle: async ({ caller, query }) => {
        const all = await teams.list(caller.orgId);
        const q = query.q?.toLowerCase();
        return pageOf(
          q ? all.filter((t) => t.name.toLowerCase().includes(q)) : all,
          (t) => t.name,
          query.cursor,
          query.limit,
        );
      },
    }),
    route({
      method: 'post',
      path: '/teams',
      operationId: 'createTeam',
      summary: 'Create a team',
      tag: 'teams',
      role: 'Admin',
      body: z.object({
        name: z.string().min(1).max(200),
        description: z.string().max(1000).nullable().optional(),
        scopes: Scopes.optional(),
        deviceGroups: DeviceGroups.optional(),
      }),
      response: Team,
      status: 201,
      handle: ({ caller, body }) => teams.create(caller.orgId, body, caller.actor),
    }),
    route({
      method: 'get',
      path: '/teams/{team}',
      operationId: 'getTeam',
      summary: 'Show a team with its members',
      tag: 'teams',
      role: 'Admin',
      params: TeamParams,
      response: Team.extend({
        memberList: z.array(z.object({ userId: z.string(), userName: z.string(), source: z.enum(['idp', 'manual']) })),
      }),
      handle: ({ caller, params }) => teams.withMembers(caller.orgId, params.team, 500),
    }),
    route({
      method: 'patch',
      path: '/teams/{team}',
      operationId: 'updateTeam',
      summary: "Change a team's name, description, scopes or device groups",
      tag: 'teams',
      role: 'Admin',
      params: TeamParams,
      body: z.object({
        name: z.string().min(1).max(200).optional(),
        description: z.string().max(1000).nullable().optional(),
        scopes: Scopes.optional(),
        deviceGroups: DeviceGroups.optional(),
      }),
      response: Team,
      handle: ({ caller, params, body }) => teams.update(caller.orgId, params.team, body, caller.actor),
    }),
    route({
      method: 'delete',
      path: '/teams/{team}',
      operationId: 'deleteTeam',
      summary: 'Delete a team',
      tag: 'teams',
      role: 'Admin',
      params: TeamParams,
      handle: ({ caller, params }) => teams.delete(caller.orgId, params.team, caller.actor),
    }),
    route({
      method: 'post',
      path: '/teams/{team}/members',
      operationId: 'addTeamMember',
      summary: 'Add a manual member (kept whatever the mappings say)',
      tag: 'teams',
      role: 'Admin',
      params: TeamParams,
      body: z.object({ user: Id.describe('user id or userName') }),
      response: z.object({ teamId: z.string(), userId: z.string() }),
      status: 201,
      handle: ({ caller, params, body }) => teams.addMember(caller.orgId, params.team, body.user, caller.actor),
    }),
    route({
      method: 'delete',
      path: '/teams/{team}/members/{user}',
      operationId: 'removeTeamMember',
      summary: 'Remove a manual member',
      tag: 'teams',
      role: 'Admin',
      params: TeamParams.extend({ user: Id }),
      handle: async ({ caller, params }) => {
        await teams.removeMember(caller.orgId, params.team, params.user, caller.actor);
      },
    }),
  ];
}

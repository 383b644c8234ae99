/** The org policy (Owners only) and the access checker and explanation (Admins and Owners). */
import { z } from 'zod';
import type { AdminApiDeps } from '../deps.js';
import { route, type AdminRoute } from '../route-table.js';
import { Explanation, Id, MappingPreview, Policy } from '../schemas.js';

const Scopes = z.array(z.string().min(1).max(128)).max(500);
const Names = z.array(z.string().min(1).max(63)).max(100);
const PolicyChange = z.object({
  membership: z.enum(['mapped', 'all_provisioned']).optional(),
  catalog: z.object({ resources: Names, actions: Names }).nullable().optional(),
  defaultUserScopes: Scopes.nullable().optional(),
  allowedScopes: Scopes.nullable().optional(),
  deniedScopes: Scopes.nullable().optional(),
});

export function policyAndAccessRoutes({ services }: AdminApiDeps): AdminRoute[] {
  return [
    route({
      method: 'get',
      path: '/policy',
      operationId: 'getPolicy',
      summary: 'Show the org policy',
      tag: 'policy',
      role: 'Owner',
      response: Policy,
      handle: ({ caller }) => services.policies.get(caller.orgId),
    }),
    route({
      method: 'put',
      path: '/policy',
      operationId: 'updatePolicy',
      summary: 'Change the org policy',
      tag: 'policy',
      role: 'Owner',
      body: PolicyChange,
      response: Policy,
      handle: ({ caller, body }) => services.policies.update(caller.orgId, body, caller.actor),
    }),
    route({
      method: 'post',
      path: '/policy/preview',
      operationId: 'previewPolicy',
      summary:
        "Preview a policy change: each user's gained and lost scopes, teams and role (nothing is saved; orgs over 5,000 users are previewed on their first 5,000)",
      tag: 'policy',
      role: 'Owner',
      body: PolicyChange,
      query: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(200) }),
      response: MappingPreview,
      handle: ({ caller, body, query }) => services.policies.preview(caller.orgId, body, query.limit),
    }),
    route({
      method: 'post',
      path: '/access/check',
      operationId: 'checkAccess',
      summary: 'Can this user do this (on this device group)?',
      tag: 'access',
      role: 'Admin',
      body: z.object({
        user: Id.describe('user id or userName'),
        scope: z.string().min(1).max(128),
        deviceGroup: z.string().min(1).max(200).optional(),
        ownerId: z.string().min(1).max(512).optional().describe('owner of the device or device group acted on'),
        creatorId: z.string().min(1).max(512).optional().describe('who created the device group acted on'),
      }),
      response: z.object({ allowed: z.boolean(), reason: z.string(), userId: z.string() }),
      handle: async ({ caller, body }) => {
        const { user, ...question } = body;
        const d = await services.access.check(caller.orgId, user, question);
        return { allowed: d.allowed, reason: d.reason, userId: d.userId };
      },
    }),
    route({
      method: 'get',
      path: '/access/users/{user}',
      operationId: 'explainAccess',
      summary: "A user's effective access with the explanation chain (group → mapping → team → scope)",
      tag: 'access',
      role: 'Admin',
      params: z.object({ user: Id }),
      response: Explanation,
      handle: ({ caller, params }) => services.access.explain(caller.orgId, params.user),
    }),
  ];
}

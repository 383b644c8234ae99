/** A person's access history: every change of their access, newest first, with its cause. Admins and Owners. */
import { z } from 'zod';
import type { AdminApiDeps } from '../deps.js';
import { PageQuery, decodeCursor, encodeCursor, route, type AdminRoute } from '../route-table.js';
import { Id, Timestamp } from '../schemas.js';

const Named = z.object({ id: z.string(), name: z.string() });
const Right = z.object({ deviceGroup: z.string(), scope: z.string() });
const Flip = <T extends z.ZodType>(t: T) => z.object({ from: t, to: t });
const GainedLost = <T extends z.ZodType>(t: T) => z.object({ gained: z.array(t), lost: z.array(t) });

export const AccessDiffSchema = z
  .object({
    active: Flip(z.boolean()).optional(),
    member: Flip(z.boolean()).optional(),
    role: Flip(z.string()).optional(),
    teams: GainedLost(Named).optional(),
    scopes: GainedLost(z.string()).optional(),
    deviceRights: GainedLost(Right).optional(),
    deleted: z.literal(true).optional(),
  })
  .describe('what changed: only the parts that did');

export const AccessCauseSchema = z.object({
  action: z.string().describe('the audited action that caused it, e.g. group.members_changed, mapping.updated'),
  actor: z.object({ type: z.string(), id: z.string().nullable(), label: z.string().nullable() }),
  target: z.object({ type: z.string().nullable(), id: z.string().nullable(), label: z.string().nullable() }).nullable(),
  requestId: z.string().nullable(),
  operation: z.string().nullable().describe('the request in words, e.g. "SCIM PATCH"'),
  connectionId: z.string().nullable(),
  connectionName: z.string().nullable(),
  auditEventId: z.string().nullable(),
  membership: z.enum(['added', 'removed']).optional(),
});

const Entry = z.object({
  id: z.string(),
  occurredAt: Timestamp,
  changes: AccessDiffSchema,
  summary: z.array(z.string()).describe('the changes in words'),
  cause: AccessCauseSchema,
  causeText: z.string().describe('the cause in words'),
});

export function accessHistoryRoutes({ services }: AdminApiDeps): AdminRoute[] {
  return [
    route({
      method: 'get',
      path: '/users/{userId}/access-history',
      operationId: 'getUserAccessHistory',
      summary: "A person's changes of access (by id or userName, deleted people too), newest first, with their causes",
      tag: 'directory',
      role: 'Admin',
      params: z.object({ userId: Id }),
      query: PageQuery,
      response: z.object({
        user: z.object({ id: z.string(), userName: z.string(), deleted: z.boolean() }),
        items: z.array(Entry),
        nextCursor: z.string().nullable(),
      }),
      handle: async ({ caller, params, query }) => {
        const before = decodeCursor(query.cursor, ['before']);
        const page = await services.accessHistory.list(caller.orgId, params.userId, {
          limit: query.limit,
          ...(before ? { before: before.before } : {}),
        });
        return {
          user: page.user,
          items: page.items,
          nextCursor: page.before ? encodeCursor({ before: page.before }) : null,
        };
      },
    }),
  ];
}

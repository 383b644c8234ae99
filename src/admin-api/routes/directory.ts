/** The directory as the IdPs pushed it: users (search, status) and groups (member counts). Admins and Owners. */
import { z } from 'zod';
import { NotFoundError } from '../../domain/errors/index.js';
import type { AdminApiDeps } from '../deps.js';
import { PageQuery, decodeCursor, encodeCursor, page, route, type AdminRoute } from '../route-table.js';
import { Id, Timestamp } from '../schemas.js';

const UserRow = z.object({
  id: z.string(),
  userName: z.string(),
  displayName: z.string().nullable(),
  active: z.boolean(),
  connectionId: z.string().nullable(),
  externalId: z.string().nullable(),
  email: z.string().nullable(),
  updatedAt: Timestamp,
});

const GroupRow = z.object({
  id: z.string(),
  displayName: z.string(),
  externalId: z.string().nullable(),
  connectionId: z.string().nullable(),
  memberCount: z.number().describe('members, counting those of the groups it includes'),
  includes: z
    .array(z.object({ id: z.string(), displayName: z.string() }))
    .describe('groups it includes (Google Workspace nested groups); their members count as its own'),
  updatedAt: Timestamp,
});

const Search = PageQuery.extend({
  q: z.string().max(200).optional().describe('part of the name (case-insensitive)'),
  connectionId: Id.optional(),
});

/** One more row than the page was read: its presence says there is a next page. */
function pageOf<T extends { key: string; id: string }>(rows: readonly T[], limit: number) {
  const items = rows.slice(0, limit).map(({ key: _key, ...rest }) => rest);
  const last = rows[limit - 1];
  return { items, nextCursor: rows.length > limit && last ? encodeCursor({ name: last.key, id: last.id }) : null };
}

export function directoryRoutes({ services }: AdminApiDeps): AdminRoute[] {
  const directory = services.directoryViews;
  return [
    route({
      method: 'get',
      path: '/users',
      operationId: 'listUsers',
      summary: 'List users by userName, with search and status filter',
      tag: 'directory',
      role: 'Admin',
      query: Search.extend({ status: z.enum(['active', 'inactive']).optional() }),
      response: page(UserRow),
      handle: async ({ caller, query }) => {
        const after = decodeCursor(query.cursor, ['name', 'id']);
        const rows = await directory.users(caller.orgId, {
          ...(query.q ? { q: query.q } : {}),
          ...(query.status ? { status: query.status } : {}),
          ...(query.connectionId ? { connectionId: query.connectionId } : {}),
          ...(after ? { after } : {}),
          limit: query.limit + 1,
        });
        return pageOf(rows, query.limit);
      },
    }),
    route({
      method: 'get',
      path: '/users/{userId}',
      operationId: 'getUser',
      summary: 'Show a user with their IdP groups and team memberships',
      tag: 'directory',
      role: 'Admin',
      params: z.object({ userId: Id }),
      response: UserRow.extend({
        emails: z.array(z.string()),
        groups: z.array(z.object({ id: z.string(), displayName: z.string() })),
        teams: z.array(z.object({ id: z.string(), name: z.string(), source: z.enum(['idp', 'manual']) })),
        createdAt: Timestamp,
      }),
      handle: async ({ caller, params }) => {
        const user = await directory.user(caller.orgId, params.userId);
        if (!user) throw new NotFoundError('user', params.userId);
        return user;
      },
    }),
    route({
      method: 'get',
      path: '/groups',
      operationId: 'listGroups',
      summary: 'List IdP groups with member counts',
      tag: 'directory',
      role: 'Admin',
      query: Search,
      response: page(GroupRow),
      handle: async ({ caller, query }) => {
        const after = decodeCursor(query.cursor, ['name', 'id']);
        const rows = await directory.groups(caller.orgId, {
          ...(query.q ? { q: query.q } : {}),
          ...(query.connectionId ? { connectionId: query.connectionId } : {}),
          ...(after ? { after } : {}),
          limit: query.limit + 1,
        });
        return pageOf(rows, query.limit);
      },
    }),
  ];
}

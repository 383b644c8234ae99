/**
 * The SCIM 2.0 routes under /scim/v2: which handler answers a method and path. Matching is
 * case-insensitive and forgives one trailing slash, as IdPs send both; a resource id in the
 * path is percent-decoded. HEAD is answered as GET (without a body).
 */
import { ScimError } from './scim-error.js';
import type { Preconditions, ScimContext, ScimResult } from './handlers/context.js';
import { bulk } from './handlers/bulk.js';
import { listOf, resourceType, resourceTypes, schemaDocument, serviceProviderConfig } from './handlers/discovery.js';
import { createGroup, deleteGroup, getGroup, listGroups, patchGroup, replaceGroup } from './handlers/groups.js';
import { rootSearch } from './handlers/root-search.js';
import { createUser, deleteUser, getUser, listUsers, patchUser, replaceUser } from './handlers/users.js';
import { parseListParams } from './list-params.js';
import { parseProjection } from './projection.js';
import { schemaDocuments } from './schemas.js';

/** One authenticated SCIM request, as a handler sees it. */
export interface ScimCall {
  readonly ctx: ScimContext;
  /** The resource id of `/Users/{id}` and the like ('' elsewhere). */
  readonly id: string;
  readonly query: Record<string, unknown>;
  readonly body: unknown;
  readonly preconditions: Preconditions;
}

export interface ScimRoute {
  /** The route's pattern below the mount, for metrics and traces (`/Users/:id`). */
  readonly pattern: string;
  /** Whether the route reads a request body (POST, PUT, PATCH). */
  readonly bodied: boolean;
  readonly handle: (call: ScimCall) => Promise<ScimResult>;
}

function projectionOf(source: Record<string, unknown>): ReturnType<typeof parseProjection> {
  const asList = (v: unknown): string | string[] | undefined =>
    typeof v === 'string' ? v : Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined;
  return parseProjection(asList(source.attributes), asList(source.excludedAttributes));
}

function searchBody(body: unknown): Record<string, unknown> {
  return (body ?? {}) as Record<string, unknown>;
}

const ok = (body: Record<string, unknown>): ScimResult => ({ status: 200, body });

type Handlers = Readonly<Record<string, (call: ScimCall) => Promise<ScimResult>>>;

/** method → handler, per path shape; `{id}` shapes take the decoded id from the path. */
const FIXED: Readonly<Record<string, Handlers>> = {
  serviceproviderconfig: { GET: async ({ ctx }) => ok(serviceProviderConfig(ctx.baseUrl)) },
  resourcetypes: { GET: async ({ ctx }) => ok(listOf(resourceTypes(ctx.baseUrl))) },
  schemas: { GET: async ({ ctx }) => ok(listOf(schemaDocuments(ctx.baseUrl))) },
  '.search': {
    POST: async ({ ctx, body }) =>
      ok(await rootSearch(ctx, parseListParams(searchBody(body)), projectionOf(searchBody(body)))),
  },
  bulk: { POST: async ({ ctx, body }) => ok(await bulk(ctx, body)) },
  users: {
    GET: async ({ ctx, query }) => ok(await listUsers(ctx, parseListParams(query), projectionOf(query))),
    POST: ({ ctx, body }) => createUser(ctx, body),
  },
  groups: {
    GET: async ({ ctx, query }) => ok(await listGroups(ctx, parseListParams(query), projectionOf(query))),
    POST: ({ ctx, body }) => createGroup(ctx, body),
  },
};

const SEARCH: Readonly<Record<string, Handlers>> = {
  users: {
    POST: async ({ ctx, body }) =>
      ok(await listUsers(ctx, parseListParams(searchBody(body)), projectionOf(searchBody(body)))),
  },
  groups: {
    POST: async ({ ctx, body }) =>
      ok(await listGroups(ctx, parseListParams(searchBody(body)), projectionOf(searchBody(body)))),
  },
};

const BY_ID: Readonly<Record<string, Handlers>> = {
  resourcetypes: { GET: async ({ ctx, id }) => ok(resourceType(ctx.baseUrl, id)) },
  schemas: { GET: async ({ ctx, id }) => ok(schemaDocument(ctx.baseUrl, id)) },
  users: {
    GET: ({ ctx, id, query, preconditions }) => getUser(ctx, id, projectionOf(query), preconditions),
    PUT: ({ ctx, id, body, preconditions }) => replaceUser(ctx, id, body, preconditions),
    PATCH: ({ ctx, id, body, preconditions }) => patchUser(ctx, id, body, preconditions),
    DELETE: ({ ctx, id, preconditions }) => deleteUser(ctx, id, preconditions),
  },
  groups: {
    GET: ({ ctx, id, query, preconditions }) => getGroup(ctx, id, projectionOf(query), preconditions),
    PUT: ({ ctx, id, body, preconditions }) => replaceGroup(ctx, id, body, preconditions),
    PATCH: ({ ctx, id, body, query, preconditions }) => {
      const wantsBody = query.attributes !== undefined || query.excludedAttributes !== undefined;
      return patchGroup(ctx, id, body, preconditions, wantsBody ? projectionOf(query) : undefined);
    },
    DELETE: ({ ctx, id, preconditions }) => deleteGroup(ctx, id, preconditions),
  },
};

/** The spelling of each collection in route patterns. */
const NAMES: Readonly<Record<string, string>> = {
  serviceproviderconfig: 'ServiceProviderConfig',
  resourcetypes: 'ResourceTypes',
  schemas: 'Schemas',
  '.search': '.search',
  bulk: 'Bulk',
  users: 'Users',
  groups: 'Groups',
};

const BODIED = new Set(['POST', 'PUT', 'PATCH']);

/** Every route by `METHOD collection[/shape]`, built once. */
const ROUTES = new Map<string, ScimRoute>();
for (const [shape, table] of [
  ['', FIXED],
  ['/.search', SEARCH],
  ['/:id', BY_ID],
] as const) {
  for (const [collection, handlers] of Object.entries(table)) {
    for (const [verb, handle] of Object.entries(handlers)) {
      ROUTES.set(`${verb} ${collection}${shape}`, {
        pattern: `/${NAMES[collection]}${shape}`,
        bodied: BODIED.has(verb),
        handle,
      });
    }
  }
}

/**
 * The route for a method and a path below /scim/v2 (without its query), with the path's
 * resource id still percent-encoded; undefined when no route answers it (a 404).
 */
export function findRoute(method: string, path: string): { route: ScimRoute; rawId: string } | undefined {
  const verb = method === 'HEAD' ? 'GET' : method;
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  const segments = trimmed.split('/');
  if (segments[0] !== '' || segments.length < 2 || segments.length > 3) return undefined;
  const collection = segments[1]!.toLowerCase();
  if (segments.length === 2) {
    const route = ROUTES.get(`${verb} ${collection}`);
    return route && { route, rawId: '' };
  }
  const rawId = segments[2]!;
  if (rawId === '') return undefined;
  if (verb === 'POST' && rawId.toLowerCase() === '.search') {
    const route = ROUTES.get(`POST ${collection}/.search`);
    return route && { route, rawId: '' };
  }
  const route = ROUTES.get(`${verb} ${collection}/:id`);
  return route && { route, rawId };
}

/** The decoded resource id of a matched route (a 400 for malformed percent-encoding). */
export function resourceIdOf(rawId: string): string {
  if (!rawId.includes('%')) return rawId;
  try {
    return decodeURIComponent(rawId);
  } catch {
    throw new ScimError(400, undefined, 'The resource id in the path is not valid percent-encoding');
  }
}

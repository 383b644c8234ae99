/** /Users (RFC 7644 §3.2–3.6): create, read, list, replace, patch, delete, for the caller's connection only. */
import type { DirectoryUser } from '../../domain/directory.js';
import { inputOf } from '../../directory/sync/user-comparison.js';
import { keyFor } from '../attribute-paths.js';
import { normaliseUserBody } from '../dialects/tolerant-input.js';
import { resolveUserFilter } from '../filter/resolve-filter.js';
import { userSort } from '../filter/sort.js';
import type { ListParams } from '../list-params.js';
import { activeOnlyPatch } from '../patch/active-patch.js';
import { applyUserPatch } from '../patch/apply-user-patch.js';
import { parsePatchRequest } from '../patch/patch-request.js';
import { FULL_PROJECTION, project, wants, type Projection } from '../projection.js';
import { ScimError } from '../scim-error.js';
import { coerceUser } from '../schemas.js';
import { etagOf, fromScimUser, toScimUser } from '../user-mapper.js';
import { asObject, versionOf, type Preconditions, type ScimContext, type ScimResult } from './context.js';
import { listResponse } from './list.js';
import { URN } from '../urns.js';

type Json = Record<string, unknown>;

function requireUserName(body: Json): void {
  const key = keyFor(body, 'username');
  const value = key === undefined ? undefined : body[key];
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ScimError(400, 'invalidValue', 'userName is required and must be a non-empty string');
  }
}

export async function renderUsers(
  ctx: ScimContext,
  users: readonly DirectoryUser[],
  projection: Projection,
  loadedGroups?: ReadonlyMap<string, ReadonlyArray<{ id: string; displayName: string }>>,
): Promise<Json[]> {
  const withGroups = wants(projection, 'groups');
  let groups = loadedGroups;
  if (groups === undefined && withGroups) {
    groups = await ctx.users.groupsOf(
      ctx.scope,
      users.map((u) => u.id),
    );
  }
  return users.map((u) =>
    project(
      toScimUser(u, {
        location: `${ctx.baseUrl}/Users/${u.id}`,
        groupsBaseUrl: `${ctx.baseUrl}/Groups`,
        ...(withGroups && groups ? { groups: groups.get(u.id) ?? [] } : {}),
      }),
      projection,
    ),
  );
}

async function single(
  ctx: ScimContext,
  user: DirectoryUser,
  status: number,
  projection = FULL_PROJECTION,
  groups?: ReadonlyArray<{ id: string; displayName: string }>,
): Promise<ScimResult> {
  const [body] = await renderUsers(ctx, [user], projection, groups ? new Map([[user.id, groups]]) : undefined);
  return { status, body: body!, location: `${ctx.baseUrl}/Users/${user.id}`, etag: etagOf(user.version) };
}

export async function createUser(ctx: ScimContext, rawBody: unknown): Promise<ScimResult> {
  const body = normaliseUserBody(asObject(rawBody));
  requireUserName(body);
  const user = await ctx.users.create(ctx.scope, fromScimUser(coerceUser(body)), ctx.actor);
  // A user just created belongs to no group yet: no need to ask the database.
  const location = `${ctx.baseUrl}/Users/${user.id}`;
  const resource = toScimUser(user, { location, groupsBaseUrl: `${ctx.baseUrl}/Groups`, groups: [] });
  return { status: 201, body: resource, location, etag: etagOf(user.version) };
}

export async function getUser(
  ctx: ScimContext,
  id: string,
  projection: Projection,
  pre: Preconditions = {},
): Promise<ScimResult> {
  const { user, groups } = await ctx.users.getWithGroups(ctx.scope, id);
  if (
    pre.ifNoneMatch !== undefined &&
    (pre.ifNoneMatch.trim() === '*' || versionOf(pre.ifNoneMatch) === user.version)
  ) {
    return { status: 304, etag: etagOf(user.version) };
  }
  return single(ctx, user, 200, projection, groups);
}

export async function replaceUser(
  ctx: ScimContext,
  id: string,
  rawBody: unknown,
  pre: Preconditions = {},
): Promise<ScimResult> {
  const body = normaliseUserBody(asObject(rawBody));
  requireUserName(body);
  const input = fromScimUser(coerceUser(body));
  const ifMatch = versionOf(pre.ifMatch);
  const { user, groups } = await ctx.users.updateWithGroups(
    ctx.scope,
    id,
    () => input,
    ifMatch === undefined ? {} : { ifMatch },
    ctx.actor,
  );
  return single(ctx, user, 200, FULL_PROJECTION, groups);
}

export async function patchUser(
  ctx: ScimContext,
  id: string,
  rawBody: unknown,
  pre: Preconditions = {},
): Promise<ScimResult> {
  const operations = parsePatchRequest(rawBody);
  const ifMatch = versionOf(pre.ifMatch);
  const active = activeOnlyPatch(operations);
  const { user, groups } = await ctx.users.updateWithGroups(
    ctx.scope,
    id,
    (current) => {
      if (active !== undefined) return { ...inputOf(current), active };
      const patched = applyUserPatch(toScimUser(current, { location: '', groupsBaseUrl: '' }), operations);
      const body = normaliseUserBody(patched);
      requireUserName(body);
      return fromScimUser(coerceUser(body));
    },
    ifMatch === undefined ? {} : { ifMatch },
    ctx.actor,
  );
  return single(ctx, user, 200, FULL_PROJECTION, groups);
}

export async function deleteUser(ctx: ScimContext, id: string, pre: Preconditions = {}): Promise<ScimResult> {
  const ifMatch = versionOf(pre.ifMatch);
  await ctx.users.delete(ctx.scope, id, ifMatch === undefined ? {} : { ifMatch }, ctx.actor);
  return { status: 204 };
}

/**
 * `userName eq "..."` alone, without escapes: the lookup Okta, Entra and Google make before
 * every create. Anything else (escapes included) takes the general filter path.
 */
// eslint-disable-next-line no-control-regex -- control characters are left to the full parser
const USER_NAME_EQ = /^\s*userName\s+eq\s+"([^"\\\u0000-\u001f]*)"\s*$/i;

function userNameLookup(params: ListParams): string | undefined {
  if (params.filter === undefined || params.cursor !== undefined || params.sortBy !== undefined) return undefined;
  return USER_NAME_EQ.exec(params.filter)?.[1];
}

export async function listUsers(ctx: ScimContext, params: ListParams, projection: Projection): Promise<Json> {
  const withGroups = wants(projection, 'groups');
  const userName = userNameLookup(params);
  if (userName !== undefined) {
    // userName is unique per org: the answer is one user or none, so page it here.
    const found = await ctx.users.findByUserName(ctx.scope, userName, withGroups);
    const rows = found && params.startIndex === 1 && params.count > 0 ? [found.user] : [];
    return {
      schemas: [URN.listResponse],
      totalResults: found ? 1 : 0,
      itemsPerPage: rows.length,
      startIndex: params.startIndex,
      Resources: await renderUsers(ctx, rows, projection, found ? new Map([[found.user.id, found.groups]]) : new Map()),
    };
  }
  let groups: ReadonlyMap<string, ReadonlyArray<{ id: string; displayName: string }>> | undefined;
  return listResponse(params, {
    resolve: resolveUserFilter,
    sort: userSort,
    search: async (q) => {
      const page = await ctx.users.search(ctx.scope, { ...q, withGroups });
      groups = page.groups;
      return page;
    },
    count: (filter) => ctx.users.count(ctx.scope, filter),
    render: (rows) => renderUsers(ctx, rows, projection, groups),
  });
}

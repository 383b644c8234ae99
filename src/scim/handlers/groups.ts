/** /Groups: create, read, list, replace, patch (member deltas), delete, for the caller's connection only. */
import type { DirectoryGroup, GroupInput } from '../../domain/directory.js';
import type { MemberStep } from '../../directory/group-directory.js';
import { keyFor } from '../attribute-paths.js';
import { normaliseGroupBody } from '../dialects/tolerant-input.js';
import { resolveGroupFilter } from '../filter/resolve-filter.js';
import { groupSort } from '../filter/sort.js';
import { toScimGroup } from '../group-mapper.js';
import type { ListParams } from '../list-params.js';
import { groupPatchToChange } from '../patch/group-patch.js';
import { parsePatchRequest } from '../patch/patch-request.js';
import { FULL_PROJECTION, project, wants, type Projection } from '../projection.js';
import { ScimError } from '../scim-error.js';
import { coerceGroup } from '../schemas.js';
import { etagOf } from '../user-mapper.js';
import { asObject, versionOf, type Preconditions, type ScimContext, type ScimResult } from './context.js';
import { listResponse } from './list.js';

type Json = Record<string, unknown>;

/** Validated attributes, and the member ids when the body names `members` at all (undefined: leave members alone). */
function readGroupBody(rawBody: unknown): { input: GroupInput; memberIds: string[] | undefined } {
  const body = normaliseGroupBody(asObject(rawBody));
  const nameKey = keyFor(body, 'displayname');
  const name = nameKey === undefined ? undefined : body[nameKey];
  if (typeof name !== 'string' || name.trim() === '') {
    throw new ScimError(400, 'invalidValue', 'displayName is required and must be a non-empty string');
  }
  const coerced = coerceGroup(body);
  const membersKey = keyFor(body, 'members');
  const members = membersKey === undefined ? undefined : ((coerced.members ?? []) as Array<{ value?: unknown }>);
  const memberIds = members?.map((m) => {
    if (typeof m.value !== 'string' || m.value === '')
      throw new ScimError(400, 'invalidValue', 'Each member needs a string value');
    return m.value;
  });
  const input = {
    displayName: String(coerced.displayName),
    externalId: typeof coerced.externalId === 'string' ? coerced.externalId : null,
  };
  return { input, memberIds };
}

type Members = ReadonlyArray<{ id: string; userName: string }>;

function renderGroup(ctx: ScimContext, g: DirectoryGroup, projection: Projection, members: Members | undefined): Json {
  return project(
    toScimGroup(g, {
      location: `${ctx.baseUrl}/Groups/${g.id}`,
      usersBaseUrl: `${ctx.baseUrl}/Users`,
      ...(members ? { members } : {}),
    }),
    projection,
  );
}

export async function renderGroups(
  ctx: ScimContext,
  groups: readonly DirectoryGroup[],
  projection: Projection,
): Promise<Json[]> {
  const withMembers = wants(projection, 'members');
  return Promise.all(
    groups.map(async (g) =>
      renderGroup(ctx, g, projection, withMembers ? await ctx.groups.members(ctx.scope, g.id) : undefined),
    ),
  );
}

async function single(
  ctx: ScimContext,
  group: DirectoryGroup,
  status: number,
  projection = FULL_PROJECTION,
  members?: Members,
): Promise<ScimResult> {
  const body =
    members && wants(projection, 'members')
      ? renderGroup(ctx, group, projection, members)
      : (await renderGroups(ctx, [group], projection))[0]!;
  return { status, body, location: `${ctx.baseUrl}/Groups/${group.id}`, etag: etagOf(group.version) };
}

export async function createGroup(ctx: ScimContext, rawBody: unknown): Promise<ScimResult> {
  const { input, memberIds } = readGroupBody(rawBody);
  const { group } = await ctx.groups.create(ctx.scope, input, memberIds ?? [], ctx.actor);
  return single(ctx, group, 201);
}

export async function getGroup(
  ctx: ScimContext,
  id: string,
  projection: Projection,
  pre: Preconditions = {},
): Promise<ScimResult> {
  // With members, the group and its members in one read; without, the group alone.
  const { group, members } = wants(projection, 'members')
    ? await ctx.groups.getWithMembers(ctx.scope, id)
    : { group: await ctx.groups.get(ctx.scope, id), members: undefined };
  if (
    pre.ifNoneMatch !== undefined &&
    (pre.ifNoneMatch.trim() === '*' || versionOf(pre.ifNoneMatch) === group.version)
  ) {
    return { status: 304, etag: etagOf(group.version) };
  }
  return single(ctx, group, 200, projection, members);
}

export async function replaceGroup(
  ctx: ScimContext,
  id: string,
  rawBody: unknown,
  pre: Preconditions = {},
): Promise<ScimResult> {
  const { input, memberIds } = readGroupBody(rawBody);
  const ifMatch = versionOf(pre.ifMatch);
  const members: MemberStep[] = memberIds === undefined ? [] : [{ op: 'replace', userIds: memberIds }];
  const { group } = await ctx.groups.change(
    ctx.scope,
    id,
    { attributes: input, members },
    ifMatch === undefined ? {} : { ifMatch },
    ctx.actor,
  );
  return single(ctx, group, 200);
}

/** 204 unless the client asks for attributes back (RFC 7644 §3.5.2): a group's members can be many. */
export async function patchGroup(
  ctx: ScimContext,
  id: string,
  rawBody: unknown,
  pre: Preconditions = {},
  projection?: Projection,
): Promise<ScimResult> {
  const change = groupPatchToChange(parsePatchRequest(rawBody));
  const ifMatch = versionOf(pre.ifMatch);
  const { group } = await ctx.groups.change(ctx.scope, id, change, ifMatch === undefined ? {} : { ifMatch }, ctx.actor);
  if (projection) return single(ctx, group, 200, projection);
  return { status: 204, etag: etagOf(group.version) };
}

export async function deleteGroup(ctx: ScimContext, id: string, pre: Preconditions = {}): Promise<ScimResult> {
  const ifMatch = versionOf(pre.ifMatch);
  await ctx.groups.delete(ctx.scope, id, ifMatch === undefined ? {} : { ifMatch }, ctx.actor);
  return { status: 204 };
}

export function listGroups(ctx: ScimContext, params: ListParams, projection: Projection): Promise<Json> {
  return listResponse(params, {
    resolve: resolveGroupFilter,
    sort: groupSort,
    search: (q) => ctx.groups.search(ctx.scope, q),
    count: (filter) => ctx.groups.count(ctx.scope, filter),
    render: (rows) => renderGroups(ctx, rows, projection),
  });
}

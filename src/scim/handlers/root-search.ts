/**
 * POST /.search at the root (RFC 7644 §3.4.3): Users, then Groups, paged as one list.
 * A filter naming an attribute that only one type has matches nothing of the other type;
 * a filter valid for neither is a 400. Cursor paging is offered per resource type only.
 */
import { MATCH_NOTHING } from '../../domain/directory-filter.js';
import { FilterBoundError } from '../filter/filter-bounds.js';
import { resolveGroupFilter, resolveUserFilter } from '../filter/resolve-filter.js';
import type { ListParams } from '../list-params.js';
import type { Projection } from '../projection.js';
import { ScimError } from '../scim-error.js';
import { URN } from '../urns.js';
import type { ScimContext } from './context.js';
import { renderGroups } from './groups.js';
import { filterOf } from './list.js';
import { renderUsers } from './users.js';

/** The filter for one resource type, or the invalidFilter error it gives there. */
function filterFor<F>(
  filter: string | undefined,
  resolve: Parameters<typeof filterOf<F>>[1],
): F | undefined | ScimError {
  try {
    return filterOf(filter, resolve);
  } catch (error) {
    if (error instanceof ScimError && error.scimType === 'invalidFilter') return error;
    throw error;
  }
}

export async function rootSearch(
  ctx: ScimContext,
  params: ListParams,
  projection: Projection,
): Promise<Record<string, unknown>> {
  if (params.cursor !== undefined)
    throw new ScimError(400, 'invalidValue', 'Cursor paging is available on /Users and /Groups');
  if (params.sortBy !== undefined)
    throw new ScimError(400, 'invalidValue', 'sortBy is available on /Users and /Groups');
  const u = filterFor(params.filter, resolveUserFilter);
  const g = filterFor(params.filter, resolveGroupFilter);
  if (u instanceof ScimError && g instanceof ScimError) throw u;
  // A bound exceeded is exceeded for both types: say so rather than "matches nothing".
  for (const e of [u, g]) if (e instanceof FilterBoundError) throw e;
  const userWhere = u instanceof ScimError ? MATCH_NOTHING : u;
  const groupWhere = g instanceof ScimError ? MATCH_NOTHING : g;
  const userTotal = await ctx.users.count(ctx.scope, userWhere);
  const groupTotal = await ctx.groups.count(ctx.scope, groupWhere);
  const offset = params.startIndex - 1;
  const resources: Array<Record<string, unknown>> = [];
  let remaining = params.count;
  if (remaining > 0 && offset < userTotal) {
    const { rows: users } = await ctx.users.search(ctx.scope, {
      ...(userWhere ? { filter: userWhere } : {}),
      offset,
      limit: remaining,
    });
    resources.push(...(await renderUsers(ctx, users, projection)));
    remaining -= users.length;
  }
  if (remaining > 0) {
    const groupOffset = Math.max(0, offset - userTotal);
    if (groupOffset < groupTotal) {
      const { rows: groups } = await ctx.groups.search(ctx.scope, {
        ...(groupWhere ? { filter: groupWhere } : {}),
        offset: groupOffset,
        limit: remaining,
      });
      resources.push(...(await renderGroups(ctx, groups, projection)));
    }
  }
  return {
    schemas: [URN.listResponse],
    totalResults: userTotal + groupTotal,
    itemsPerPage: resources.length,
    startIndex: params.startIndex,
    Resources: resources,
  };
}

/**
 * Lists and searches: filter, sort, page and count in SQL, then build the ListResponse
 * from the page (scimmy's list handling coerces every row and re-pages in memory, and
 * miscounts totalResults; see the notes). Offset paging is exact for any startIndex and
 * count; cursor paging (RFC 9865) seeks by (created, id), so a page deep in the list
 * costs what the first one does.
 */
import type { Condition, OrderTerm } from '../../store/repositories/listing.js';
import type { FilterTarget } from '../filter/filter-to-sql.js';
import { filterToCondition } from '../filter/filter-to-sql.js';
import { parseFilter } from '../filter/parse-filter.js';
import { sortTerm } from '../filter/sort.js';
import { decodeCursor, encodeCursor, type ListParams } from '../list-params.js';
import { URN } from '../urns.js';
import type { ScimContext } from './context.js';

export interface Listable {
  readonly id: string;
  readonly createdAt: string;
}

export interface ListSource<T extends Listable> {
  readonly target: FilterTarget;
  search(query: {
    where?: Condition;
    order?: OrderTerm[];
    offset?: number;
    after?: { createdAt: string; id: string };
    limit: number;
  }): Promise<{ rows: T[]; total: number | undefined }>;
  count(where?: Condition): Promise<number>;
  render(rows: T[]): Promise<Array<Record<string, unknown>>>;
}

export function conditionOf(filter: string | undefined, target: FilterTarget): Condition | undefined {
  return filter === undefined ? undefined : filterToCondition(parseFilter(filter), target);
}

export async function listResponse<T extends Listable>(
  ctx: ScimContext,
  params: ListParams,
  source: ListSource<T>,
): Promise<Record<string, unknown>> {
  const where = conditionOf(params.filter, source.target);
  const order = params.sortBy !== undefined ? [sortTerm(ctx.db, source.target, params.sortBy, params.sortOrder)] : [];
  if (params.cursor !== undefined) {
    const after = params.cursor === '' ? undefined : decodeCursor(params.cursor);
    const totalResults = await source.count(where);
    const rows =
      params.count === 0
        ? []
        : (await source.search({ ...(where ? { where } : {}), ...(after ? { after } : {}), limit: params.count + 1 }))
            .rows;
    const page = rows.slice(0, params.count);
    const last = page[page.length - 1];
    return {
      schemas: [URN.listResponse],
      totalResults,
      itemsPerPage: page.length,
      ...(rows.length > params.count && last
        ? { nextCursor: encodeCursor({ createdAt: last.createdAt, id: last.id }) }
        : {}),
      Resources: await source.render(page),
    };
  }
  // One query gives the page and the match count; a separate count only when the page is empty.
  const offset = params.startIndex - 1;
  const page =
    params.count === 0
      ? { rows: [], total: undefined }
      : await source.search({ ...(where ? { where } : {}), order, offset, limit: params.count });
  const rows = page.rows;
  const totalResults = page.total ?? (await source.count(where));
  return {
    schemas: [URN.listResponse],
    totalResults,
    itemsPerPage: rows.length,
    startIndex: params.startIndex,
    Resources: await source.render(rows),
  };
}

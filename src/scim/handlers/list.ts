/**
 * Lists and searches: the filter is parsed and resolved here into a directory filter, and
 * the store filters, sorts, pages and counts in SQL; the ListResponse is built from the
 * page (scimmy's list handling coerces every row and re-pages in memory, and miscounts
 * totalResults; see the notes). Offset paging is exact for any startIndex and count;
 * cursor paging (RFC 9865) seeks by (created, id), so a page deep in the list costs what
 * the first one does.
 */
import type { DirectorySearch, SortOrder } from '../../domain/directory-filter.js';
import { parseFilter } from '../filter/parse-filter.js';
import { decodeCursor, encodeCursor, type ListParams } from '../list-params.js';
import { URN } from '../urns.js';

export interface Listable {
  readonly id: string;
  readonly createdAt: string;
}

export interface ListSource<T extends Listable, F, K extends string> {
  /** The resolved filter of a parsed SCIM filter (400 invalidFilter when it cannot be). */
  readonly resolve: (filter: ReturnType<typeof parseFilter>) => F;
  readonly sort: (sortBy: string, order: 'ascending' | 'descending') => SortOrder<K>;
  search(query: DirectorySearch<F, K>): Promise<{ rows: T[]; total: number | undefined }>;
  count(filter?: F): Promise<number>;
  render(rows: T[]): Promise<Array<Record<string, unknown>>>;
}

export function filterOf<F>(
  filter: string | undefined,
  resolve: ListSource<Listable, F, string>['resolve'],
): F | undefined {
  return filter === undefined ? undefined : resolve(parseFilter(filter));
}

export async function listResponse<T extends Listable, F, K extends string>(
  params: ListParams,
  source: ListSource<T, F, K>,
): Promise<Record<string, unknown>> {
  const filter = filterOf(params.filter, source.resolve);
  const withFilter = filter === undefined ? {} : { filter };
  if (params.cursor !== undefined) {
    const after = params.cursor === '' ? undefined : decodeCursor(params.cursor);
    const totalResults = await source.count(filter);
    const rows =
      params.count === 0
        ? []
        : (await source.search({ ...withFilter, ...(after ? { after } : {}), limit: params.count + 1 })).rows;
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
  const sort = params.sortBy !== undefined ? { sort: source.sort(params.sortBy, params.sortOrder) } : {};
  // One query gives the page and the match count; a separate count only when the page is empty.
  const offset = params.startIndex - 1;
  const page =
    params.count === 0
      ? { rows: [], total: undefined }
      : await source.search({ ...withFilter, ...sort, offset, limit: params.count });
  const rows = page.rows;
  const totalResults = page.total ?? (await source.count(filter));
  return {
    schemas: [URN.listResponse],
    totalResults,
    itemsPerPage: rows.length,
    startIndex: params.startIndex,
    Resources: await source.render(rows),
  };
}

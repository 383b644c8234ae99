/**
 * Query parameters of a list or search (RFC 7644 §3.4.2; cursors per RFC 9865), read from
 * a GET query string or a POST /.search body, validated once. Paging is exact for any
 * values: startIndex < 1 is 1, count < 0 is 0, count above the maximum is the maximum.
 */
import { ScimError } from './scim-error.js';

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

export interface ListParams {
  readonly filter?: string;
  readonly startIndex: number;
  readonly count: number;
  /** Undefined: index paging. Empty string: the first page of cursor paging. */
  readonly cursor?: string;
  readonly sortBy?: string;
  readonly sortOrder: 'ascending' | 'descending';
  readonly attributes?: string | readonly string[];
  readonly excludedAttributes?: string | readonly string[];
}

export interface KeysetCursor {
  readonly createdAt: string;
  readonly id: string;
}

function first(value: unknown): unknown {
  return Array.isArray(value) ? value[0] : value;
}

function integer(value: unknown, name: string): number | undefined {
  const v = first(value);
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'number' ? v : Number(String(v).trim());
  if (!Number.isFinite(n) || !Number.isInteger(n))
    throw new ScimError(400, 'invalidValue', `${name} must be an integer`);
  return n;
}

function text(value: unknown, name: string): string | undefined {
  const v = first(value);
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new ScimError(400, 'invalidValue', `${name} must be a string`);
  return v;
}

function attributeList(value: unknown, name: string): string | readonly string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value as string[];
  throw new ScimError(400, 'invalidValue', `${name} must be a string or a list of strings`);
}

/** From a query string (GET) or a SearchRequest body (POST /.search): the same names either way. */
export function parseListParams(source: Record<string, unknown>): ListParams {
  const startIndex = integer(source.startIndex, 'startIndex');
  const count = integer(source.count, 'count');
  const cursor = text(source.cursor, 'cursor');
  const sortBy = text(source.sortBy, 'sortBy');
  const order = text(source.sortOrder, 'sortOrder');
  if (order !== undefined && !/^(ascending|descending)$/i.test(order)) {
    throw new ScimError(400, 'invalidValue', 'sortOrder must be "ascending" or "descending"');
  }
  if (cursor !== undefined && startIndex !== undefined) {
    throw new ScimError(400, 'invalidValue', 'Use either cursor or startIndex, not both');
  }
  if (cursor !== undefined && sortBy !== undefined) {
    throw new ScimError(400, 'invalidValue', 'sortBy is not supported with cursor paging; use startIndex');
  }
  const filter = text(source.filter, 'filter');
  const attributes = attributeList(source.attributes, 'attributes');
  const excludedAttributes = attributeList(source.excludedAttributes, 'excludedAttributes');
  return {
    ...(filter !== undefined ? { filter } : {}),
    // Past any possible end is simply an empty page (and keeps the SQL offset within range).
    startIndex: Math.min(Number.MAX_SAFE_INTEGER, Math.max(1, startIndex ?? 1)),
    count: Math.min(MAX_PAGE_SIZE, Math.max(0, count ?? DEFAULT_PAGE_SIZE)),
    ...(cursor !== undefined ? { cursor } : {}),
    ...(sortBy !== undefined ? { sortBy } : {}),
    sortOrder: order?.toLowerCase() === 'descending' ? 'descending' : 'ascending',
    ...(attributes !== undefined ? { attributes } : {}),
    ...(excludedAttributes !== undefined ? { excludedAttributes } : {}),
  };
}

export function encodeCursor(c: KeysetCursor): string {
  return Buffer.from(JSON.stringify([c.createdAt, c.id]), 'utf8').toString('base64url');
}

/** An opaque cursor back to its keyset position; anything malformed is 400 invalidCursor. */
export function decodeCursor(cursor: string): KeysetCursor {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      typeof value[0] === 'string' &&
      typeof value[1] === 'string' &&
      !Number.isNaN(Date.parse(value[0]))
    ) {
      return { createdAt: new Date(value[0]).toISOString(), id: value[1] };
    }
  } catch {
    // fall through to the error below
  }
  throw new ScimError(400, 'invalidCursor', 'The cursor is not valid');
}

/**
 * The admin API is a table of routes, each with the zod schemas that validate its path,
 * query and body and describe its response. The same table mounts the Express routes and
 * generates the OpenAPI document, so the two cannot disagree.
 */
import type { Request, Response } from 'express';
import { z } from 'zod';
import type { Actor } from '../domain/actor.js';
import { InvalidInputError } from '../domain/errors/index.js';
import type { Role } from '../domain/role.js';

/** The least role a route needs: Admins manage teams and mappings, Owners everything; `none` for the setup link. */
export type RequiredRole = 'Admin' | 'Owner' | 'none';

export interface AdminCaller {
  readonly orgId: string;
  readonly role: Role;
  readonly actor: Actor;
  readonly via: 'token' | 'console';
}

export interface HandlerContext<P, Q, B> {
  readonly caller: AdminCaller;
  readonly params: P;
  readonly query: Q;
  readonly body: B;
  readonly req: Request;
  readonly res: Response;
}

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface RouteSpec<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType> {
  readonly method: Method;
  /** OpenAPI-style path under /admin/api/v1, e.g. `/teams/{team}`. */
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  readonly tag: string;
  readonly role: RequiredRole;
  readonly params?: P;
  readonly query?: Q;
  readonly body?: B;
  /** The success body's schema; `csv` for a text/csv download; omitted for 204. */
  readonly response?: z.ZodType | 'csv';
  readonly status?: 200 | 201 | 204;
  handle(ctx: HandlerContext<z.output<P>, z.output<Q>, z.output<B>>): Promise<unknown>;
}

/** A route with its types erased, so routes of every shape fit one table. */
export type AdminRoute = Omit<RouteSpec<z.ZodType, z.ZodType, z.ZodType>, 'handle'> & {
  handle(ctx: HandlerContext<unknown, unknown, unknown>): Promise<unknown>;
};

export function route<
  P extends z.ZodType = z.ZodObject<Record<string, never>>,
  Q extends z.ZodType = z.ZodObject<Record<string, never>>,
  B extends z.ZodType = z.ZodUndefined,
>(spec: RouteSpec<P, Q, B>): AdminRoute {
  return spec as unknown as AdminRoute;
}

/** `/teams/{team}` → `/teams/:team` */
export function expressPath(path: string): string {
  return path.replace(/\{([A-Za-z]+)\}/g, ':$1');
}

/** A page of a list: the items and, when there are more, the cursor of the next page. */
export function page<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() });
}

export const PageQuery = z.object({
  cursor: z.string().max(512).optional().describe('the nextCursor of the previous page'),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

/**
 * A cursor page of a list the service holds whole (connections, teams, mappings: hundreds,
 * not millions), in the order of `key` (then id), so pages stay stable while items change.
 */
export function pageOf<T extends { id: string }>(
  all: readonly T[],
  key: (item: T) => string,
  cursor: string | undefined,
  limit: number,
): { items: T[]; nextCursor: string | null } {
  const after = decodeCursor(cursor, ['name', 'id']);
  const sorted = all
    .map((item) => ({ item, k: key(item).toLowerCase() }))
    .sort((a, b) => (a.k === b.k ? (a.item.id < b.item.id ? -1 : 1) : a.k < b.k ? -1 : 1));
  const rest = after ? sorted.filter((x) => x.k > after.name || (x.k === after.name && x.item.id > after.id)) : sorted;
  const chosen = rest.slice(0, limit);
  const last = chosen[chosen.length - 1];
  return {
    items: chosen.map((x) => x.item),
    nextCursor: rest.length > limit && last ? encodeCursor({ name: last.k, id: last.item.id }) : null,
  };
}

export function encodeCursor(position: Readonly<Record<string, string>>): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

/** A cursor this API issued, or a 400 (never a 500) for anything else. */
export function decodeCursor<K extends string>(
  cursor: string | undefined,
  keys: readonly K[],
): Record<K, string> | undefined {
  if (cursor === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      parsed &&
      typeof parsed === 'object' &&
      keys.every((k) => typeof (parsed as Record<string, unknown>)[k] === 'string')
    ) {
      return parsed as Record<K, string>;
    }
  } catch {
    // fall through to the error below
  }
  throw new InvalidInputError(
    'request.invalid_cursor',
    'cursor is not one this API issued: pass nextCursor as it came',
  );
}

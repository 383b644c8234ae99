/** What every SCIM handler gets: the caller's connection scope, who to record as actor, URLs, services. */
import type { Actor } from '../../domain/actor.js';
import type { GroupDirectory } from '../../directory/group-directory.js';
import type { ConnectionScope } from '../../directory/scope.js';
import type { UserDirectory } from '../../directory/user-directory.js';
import { ScimError } from '../scim-error.js';

export interface ScimContext {
  readonly scope: ConnectionScope;
  readonly actor: Actor;
  /** PUBLIC_URL + /scim/v2 */
  readonly baseUrl: string;
  readonly users: UserDirectory;
  readonly groups: GroupDirectory;
}

/** A handler's answer, rendered by the router (or collected by Bulk). */
export interface ScimResult {
  readonly status: number;
  readonly body?: Record<string, unknown>;
  readonly location?: string;
  readonly etag?: string;
}

/** Request headers that handlers honour. */
export interface Preconditions {
  readonly ifMatch?: string;
  readonly ifNoneMatch?: string;
}

/** The version an If-Match/If-None-Match names: undefined for `*` or absent, -1 when it names none we issue. */
export function versionOf(etag: string | undefined): number | undefined {
  if (etag === undefined) return undefined;
  const first = etag.split(',')[0]!.trim();
  if (first === '*') return undefined;
  const m = /^(?:W\/)?"(\d+)"$/.exec(first);
  return m ? Number(m[1]) : -1;
}

/** A request body that must be a JSON object (a resource, a PatchOp, a BulkRequest). */
export function asObject(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ScimError(400, 'invalidSyntax', 'The request body must be a JSON object');
  }
  return body as Record<string, unknown>;
}

/**
 * Bulk (RFC 7644 §3.7): operations run one after another, each in its own transaction
 * (a failed operation changes nothing and does not undo the others). `bulkId:x`
 * references in paths and data resolve to the ids created earlier in the same request;
 * an operation whose reference is not resolved yet is retried after the others, once.
 * Processing stops after `failOnErrors` errors.
 */
import { ScimError, scimErrorBody, toScimError } from '../scim-error.js';
import { URN } from '../urns.js';
import type { ScimContext, ScimResult } from './context.js';
import { BULK_MAX_OPERATIONS } from './discovery.js';
import { createGroup, deleteGroup, patchGroup, replaceGroup } from './groups.js';
import { createUser, deleteUser, patchUser, replaceUser } from './users.js';

type Json = Record<string, unknown>;

interface BulkOperation {
  readonly method: string;
  readonly path: string;
  readonly bulkId?: string;
  readonly version?: string;
  readonly data?: unknown;
}

class UnresolvedReference extends Error {}

function parseOperations(body: unknown): { operations: BulkOperation[]; failOnErrors: number } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ScimError(400, 'invalidSyntax', 'A BulkRequest body must be a JSON object');
  }
  const request = body as Json;
  if (!Array.isArray(request.schemas) || !request.schemas.includes(URN.bulkRequest)) {
    throw new ScimError(400, 'invalidSyntax', `A BulkRequest must declare the schema ${URN.bulkRequest}`);
  }
  if (!Array.isArray(request.Operations)) throw new ScimError(400, 'invalidSyntax', 'Operations must be an array');
  if (request.Operations.length > BULK_MAX_OPERATIONS) {
    throw new ScimError(413, 'tooMany', `At most ${BULK_MAX_OPERATIONS} operations per bulk request`);
  }
  const failOnErrors = request.failOnErrors;
  if (
    failOnErrors !== undefined &&
    (typeof failOnErrors !== 'number' || !Number.isInteger(failOnErrors) || failOnErrors < 1)
  ) {
    throw new ScimError(400, 'invalidValue', 'failOnErrors must be a positive integer');
  }
  const operations = request.Operations.map((raw, i) => {
    const o = (typeof raw === 'object' && raw !== null ? raw : {}) as Json;
    if (typeof o.method !== 'string' || typeof o.path !== 'string') {
      throw new ScimError(400, 'invalidSyntax', `Operation ${i + 1} needs a method and a path`);
    }
    if (o.method.toUpperCase() === 'POST' && typeof o.bulkId !== 'string') {
      throw new ScimError(400, 'invalidSyntax', `Operation ${i + 1}: POST needs a bulkId`);
    }
    return {
      method: o.method.toUpperCase(),
      path: o.path,
      ...(typeof o.bulkId === 'string' ? { bulkId: o.bulkId } : {}),
      ...(typeof o.version === 'string' ? { version: o.version } : {}),
      ...('data' in o ? { data: o.data } : {}),
    };
  });
  return { operations, failOnErrors: typeof failOnErrors === 'number' ? failOnErrors : Number.POSITIVE_INFINITY };
}

function resolve(value: unknown, ids: ReadonlyMap<string, string>): unknown {
  if (typeof value === 'string') {
    return value.replace(/bulkId:([^/"\s]+)/g, (_m, ref: string) => {
      const id = ids.get(ref);
      if (id === undefined) throw new UnresolvedReference(ref);
      return id;
    });
  }
  if (Array.isArray(value)) return value.map((v) => resolve(v, ids));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v, ids)]));
  }
  return value;
}

async function dispatch(ctx: ScimContext, op: BulkOperation, path: string, data: unknown): Promise<ScimResult> {
  const m = /^\/(Users|Groups)(?:\/([^/]+))?$/i.exec(path);
  if (!m) throw new ScimError(400, 'invalidPath', `Unsupported bulk path: ${op.path}`);
  const users = m[1]!.toLowerCase() === 'users';
  const id = m[2];
  const pre = op.version !== undefined ? { ifMatch: op.version } : {};
  if (op.method === 'POST' && id === undefined) return users ? createUser(ctx, data) : createGroup(ctx, data);
  if (id === undefined) throw new ScimError(400, 'invalidPath', `${op.method} needs a resource id in its path`);
  switch (op.method) {
    case 'PUT':
      return users ? replaceUser(ctx, id, data, pre) : replaceGroup(ctx, id, data, pre);
    case 'PATCH':
      return users ? patchUser(ctx, id, data, pre) : patchGroup(ctx, id, data, pre);
    case 'DELETE':
      return users ? deleteUser(ctx, id, pre) : deleteGroup(ctx, id, pre);
    default:
      throw new ScimError(400, 'invalidSyntax', `Unsupported bulk method: ${op.method}`);
  }
}

export async function bulk(ctx: ScimContext, body: unknown): Promise<Json> {
  const { operations, failOnErrors } = parseOperations(body);
  const ids = new Map<string, string>();
  const results: Array<Json | undefined> = operations.map(() => undefined);
  let errors = 0;

  const run = async (index: number, lastChance: boolean): Promise<boolean> => {
    const op = operations[index]!;
    let result: Json;
    try {
      const outcome = await dispatch(ctx, op, resolve(op.path, ids) as string, resolve(op.data, ids));
      if (op.bulkId && outcome.location)
        ids.set(op.bulkId, outcome.location.slice(outcome.location.lastIndexOf('/') + 1));
      result = {
        method: op.method,
        ...(op.bulkId ? { bulkId: op.bulkId } : {}),
        ...(outcome.location ? { location: outcome.location } : {}),
        ...(outcome.etag ? { version: outcome.etag } : {}),
        status: String(outcome.status),
      };
    } catch (error) {
      if (error instanceof UnresolvedReference && !lastChance) return false;
      const scimError =
        error instanceof UnresolvedReference
          ? new ScimError(
              409,
              'invalidValue',
              `bulkId ${error.message} does not name a resource created in this request`,
            )
          : toScimError(error);
      errors++;
      result = {
        method: op.method,
        ...(op.bulkId ? { bulkId: op.bulkId } : {}),
        status: String(scimError.status),
        response: scimErrorBody(scimError),
      };
    }
    results[index] = result;
    return true;
  };

  const deferred: number[] = [];
  for (let i = 0; i < operations.length && errors < failOnErrors; i++) {
    if (!(await run(i, false))) deferred.push(i);
  }
  for (const i of deferred) {
    if (errors >= failOnErrors) break;
    await run(i, true);
  }
  return { schemas: [URN.bulkResponse], Operations: results.filter((r): r is Json => r !== undefined) };
}

/**
 * A PatchOp request (RFC 7644 §3.5.2) validated into operations. `op` is matched
 * case-insensitively (Entra sends "Add", "Replace", "Remove").
 */
import { ScimError } from '../scim-error.js';
import { URN } from '../urns.js';

export type PatchOpName = 'add' | 'remove' | 'replace';

export interface PatchOperation {
  readonly op: PatchOpName;
  readonly path?: string;
  readonly value?: unknown;
}

export const MAX_PATCH_OPERATIONS = 1000;

export function parsePatchRequest(body: unknown): PatchOperation[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ScimError(400, 'invalidSyntax', 'A PatchOp request body must be a JSON object');
  }
  const request = body as Record<string, unknown>;
  const schemas = request.schemas;
  if (schemas !== undefined && !(Array.isArray(schemas) && schemas.includes(URN.patchOp))) {
    throw new ScimError(400, 'invalidSyntax', `A PatchOp request must declare the schema ${URN.patchOp}`);
  }
  const operations = request.Operations ?? request.operations;
  if (!Array.isArray(operations) || operations.length === 0) {
    throw new ScimError(400, 'invalidSyntax', 'Operations must be a non-empty array');
  }
  if (operations.length > MAX_PATCH_OPERATIONS) {
    throw new ScimError(400, 'tooMany', `At most ${MAX_PATCH_OPERATIONS} operations per request`);
  }
  return operations.map((raw, i) => {
    if (typeof raw !== 'object' || raw === null)
      throw new ScimError(400, 'invalidSyntax', `Operation ${i + 1} is not an object`);
    const o = raw as Record<string, unknown>;
    const op = typeof o.op === 'string' ? o.op.trim().toLowerCase() : '';
    if (op !== 'add' && op !== 'remove' && op !== 'replace') {
      throw new ScimError(400, 'invalidSyntax', `Operation ${i + 1}: op must be add, remove or replace`);
    }
    if (o.path !== undefined && (typeof o.path !== 'string' || o.path.trim() === '')) {
      throw new ScimError(400, 'invalidPath', `Operation ${i + 1}: path must be a non-empty string`);
    }
    if (op === 'remove' && o.path === undefined) {
      throw new ScimError(400, 'noTarget', `Operation ${i + 1}: remove needs a path`);
    }
    if (op !== 'remove' && !('value' in o)) {
      throw new ScimError(400, 'invalidValue', `Operation ${i + 1}: ${op} needs a value`);
    }
    return {
      op,
      ...(typeof o.path === 'string' ? { path: o.path.trim() } : {}),
      ...('value' in o ? { value: o.value } : {}),
    };
  });
}

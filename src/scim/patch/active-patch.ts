/**
 * The PATCH an IdP sends to deactivate or reactivate a user and nothing else: Entra's
 * `{"op":"Replace","path":"active","value":"False"}` (or a boolean), and the path-less
 * `{"op":"replace","value":{"active":false}}`. Setting `active` leaves every other attribute
 * as stored, so the user it makes needs none of the general pipeline (render the resource,
 * apply, normalise, coerce, read it back), which is a tenth of a deactivation's CPU.
 */
import { booleanOf } from '../dialects/tolerant-input.js';
import type { PatchOperation } from './patch-request.js';

/** The `active` value the operations set when setting it is all they do; undefined otherwise. */
export function activeOnlyPatch(operations: readonly PatchOperation[]): boolean | undefined {
  const op = operations.length === 1 ? operations[0] : undefined;
  if (op === undefined || op.op === 'remove') return undefined;
  let value: unknown;
  if (op.path !== undefined) {
    if (op.path.toLowerCase() !== 'active') return undefined;
    value = op.value;
  } else {
    if (typeof op.value !== 'object' || op.value === null || Array.isArray(op.value)) return undefined;
    const entries = Object.entries(op.value);
    if (entries.length !== 1 || entries[0]![0].toLowerCase() !== 'active') return undefined;
    value = entries[0]![1];
  }
  const active = booleanOf(value);
  return typeof active === 'boolean' ? active : undefined;
}

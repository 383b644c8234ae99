/**
 * Applies PATCH operations (RFC 7644 §3.5.2) to a user's SCIM representation, in memory:
 * a user is small, and the result is validated as a whole by the same schema as a PUT.
 * (scimmy's PatchOp would do this too, but rejects what Entra sends: "False" strings,
 * a bare-string manager, Add on a value path whose element does not exist yet.)
 *
 * add: sets simple attributes, merges complex ones, appends to multi-valued ones.
 * replace: sets simple attributes, merges complex ones, replaces multi-valued ones.
 * remove: deletes; with a value filter, removes the matching elements; with a value list
 * on a multi-valued attribute, removes those values only.
 * A pathless add/replace applies each key of its value as a path (dotted and URN keys too);
 * read-only keys in it (id, meta, groups, schemas: Okta echoes them) are ignored.
 */
import { booleanOf } from '../dialects/tolerant-input.js';
import { ScimError } from '../scim-error.js';
import type { PatchOperation } from './patch-request.js';
import { elementFromFilter, matchesElement, parsePatchPath, type PatchPath } from './patch-path.js';
import { USER_SHAPE, type AttributeShape } from './user-attributes.js';

type Json = Record<string, unknown>;

const IGNORED_IN_PATHLESS = new Set(['id', 'meta', 'groups', 'schemas', 'password']);

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function keyIn(obj: Json, name: string): string {
  return Object.keys(obj).find((k) => k.toLowerCase() === name.toLowerCase()) ?? name;
}

function sameElement(a: unknown, b: unknown): boolean {
  if (isObject(a) && isObject(b)) {
    const av = a[keyIn(a, 'value')];
    const bv = b[keyIn(b, 'value')];
    if (av === undefined || bv === undefined) return JSON.stringify(a) === JSON.stringify(b);
    const at = a[keyIn(a, 'type')];
    const bt = b[keyIn(b, 'type')];
    return (
      String(av).toLowerCase() === String(bv).toLowerCase() &&
      (at === undefined || bt === undefined || String(at).toLowerCase() === String(bt).toLowerCase())
    );
  }
  return a === b;
}

function mergeComplex(current: unknown, value: unknown, where: string): Json {
  if (!isObject(value)) throw new ScimError(400, 'invalidValue', `${where} expects an object value`);
  return { ...(isObject(current) ? current : {}), ...value };
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [value];
}

/** Walks to the object holding the last segment, creating parents on add/replace. */
function locate(
  resource: Json,
  segments: readonly string[],
  create: boolean,
): { parent: Json; key: string; shape: AttributeShape } | undefined {
  let shapes: ReadonlyMap<string, AttributeShape> = USER_SHAPE;
  let parent = resource;
  for (let i = 0; i < segments.length; i++) {
    const shape = shapes.get(segments[i]!);
    if (!shape) throw new ScimError(400, 'invalidPath', `Unknown attribute: ${segments.slice(0, i + 1).join('.')}`);
    const key = keyIn(parent, shape.name);
    if (i === segments.length - 1) return { parent, key, shape };
    if (shape.multiValued)
      throw new ScimError(400, 'invalidPath', `Use a value filter to address elements of ${shape.name}`);
    if (!isObject(parent[key])) {
      if (!create) return undefined;
      parent[key] = {};
    }
    parent = parent[key] as Json;
    shapes = shape.sub;
  }
  return undefined;
}

function applyWithFilter(resource: Json, op: PatchOperation, path: PatchPath): void {
  const target = locate(resource, path.attribute, op.op !== 'remove');
  if (!target) return;
  const { parent, key, shape } = target;
  if (!shape.multiValued) throw new ScimError(400, 'invalidPath', `${shape.name} is not multi-valued`);
  const filter = path.filter!;
  const list = Array.isArray(parent[key]) ? [...(parent[key] as unknown[])] : [];
  const matching = list.filter((el) => matchesElement(el, filter));
  if (path.sub !== undefined && !shape.sub.has(path.sub)) {
    throw new ScimError(400, 'invalidPath', `Unknown sub-attribute ${shape.name}.${path.sub}`);
  }
  const subName = path.sub !== undefined ? shape.sub.get(path.sub)!.name : undefined;
  if (op.op === 'remove') {
    if (subName === undefined) parent[key] = list.filter((el) => !matching.includes(el));
    else for (const el of matching) if (isObject(el)) delete el[keyIn(el, subName)];
    return;
  }
  if (matching.length === 0) {
    // RFC 7644 §3.5.2.3: a replace whose value filter matches no element fails with noTarget.
    // Entra's Add on `emails[type eq "work"].value` creates the element it describes.
    const described = op.op === 'add' ? elementFromFilter(filter) : undefined;
    if (!described) throw new ScimError(400, 'noTarget', `No element of ${shape.name} matches the filter`);
    const created =
      subName !== undefined ? { ...described, [subName]: op.value } : mergeComplex(described, op.value, shape.name);
    parent[key] = [...list, created];
    return;
  }
  for (const el of matching) {
    const index = list.indexOf(el);
    if (subName !== undefined) list[index] = { ...(isObject(el) ? el : {}), [subName]: op.value };
    else
      list[index] = op.op === 'add' ? mergeComplex(el, op.value, shape.name) : mergeComplex({}, op.value, shape.name);
  }
  parent[key] = list;
}

function applyAtPath(resource: Json, op: PatchOperation, rawPath: string): void {
  const path = parsePatchPath(rawPath);
  if (path.attribute[0] === 'id' || path.attribute[0] === 'meta' || path.attribute[0] === 'schemas') {
    throw new ScimError(400, 'mutability', `${rawPath} cannot be changed`);
  }
  if (path.attribute.length === 1 && path.attribute[0] === 'groups') {
    throw new ScimError(400, 'mutability', 'User.groups is read-only: change the group instead');
  }
  if (path.filter) {
    applyWithFilter(resource, op, path);
    return;
  }
  const target = locate(resource, path.attribute, op.op !== 'remove');
  if (!target) return;
  const { parent, key, shape } = target;
  if (op.op === 'remove') {
    if (shape.multiValued && op.value !== undefined && Array.isArray(parent[key])) {
      const removing = asArray(op.value);
      parent[key] = (parent[key] as unknown[]).filter((el) => !removing.some((r) => sameElement(el, r)));
    } else {
      delete parent[key];
    }
    return;
  }
  if (shape.multiValued) {
    const incoming = asArray(op.value);
    if (op.op === 'replace') parent[key] = incoming;
    else {
      const current = Array.isArray(parent[key]) ? (parent[key] as unknown[]) : [];
      parent[key] = [...current, ...incoming.filter((v) => !current.some((c) => sameElement(c, v)))];
    }
  } else if (shape.complex) {
    // Entra sends the manager as a bare id: a complex attribute with a `value` takes a scalar as that value.
    const value = !isObject(op.value) && shape.sub.has('value') && op.value !== null ? { value: op.value } : op.value;
    parent[key] = mergeComplex(parent[key], value, shape.name);
  } else {
    parent[key] = shape.name === 'active' ? booleanOf(op.value) : op.value;
  }
}

export function applyUserPatch(current: Json, operations: readonly PatchOperation[]): Json {
  const resource = structuredClone(current);
  for (const op of operations) {
    if (op.path !== undefined) {
      applyAtPath(resource, op, op.path);
      continue;
    }
    if (!isObject(op.value)) throw new ScimError(400, 'invalidValue', `A pathless ${op.op} needs an object value`);
    for (const [key, value] of Object.entries(op.value)) {
      if (IGNORED_IN_PATHLESS.has(key.toLowerCase())) continue;
      applyAtPath(resource, { op: op.op, value }, key);
    }
  }
  return resource;
}

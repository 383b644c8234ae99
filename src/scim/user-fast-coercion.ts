/**
 * A fast path around scimmy's coercion of incoming Users, for the bodies IdPs send all day.
 *
 * scimmy builds a getter/setter object for every attribute of the schema (with the
 * Enterprise extension) for each resource it coerces: measured, a sixth of the CPU of a
 * SCIM user create. This compiles scimmy's own attribute definitions once into a plain
 * walk that handles the common shapes (strings, booleans, complex and multi-valued
 * complex attributes, the Enterprise extension as an object) and returns undefined for
 * anything else (a wrong type, a null, a non-canonical value, a missing userName,
 * URN-prefixed keys, dates or numbers), so that scimmy coerces it and words the error.
 * The definitions stay scimmy's; a property test checks both paths agree.
 */
/** A resource as scimmy coerces it: known attributes only, read-only ones (id, meta, groups) dropped. */
export type CoercedResource = Record<string, unknown>;

interface Definition {
  readonly name: string;
  readonly type: string;
  readonly config: {
    readonly multiValued?: boolean;
    readonly required?: boolean;
    readonly direction?: string;
    readonly returned?: boolean | string;
    readonly canonicalValues?: readonly string[] | false;
    readonly shadow?: boolean;
  };
  readonly subAttributes?: readonly Definition[];
}

interface SchemaLike {
  readonly id: string;
  readonly attributes: readonly unknown[];
}

interface Node {
  readonly name: string;
  readonly type: string;
  readonly multiValued: boolean;
  readonly required: boolean;
  /** Read-only (direction out) or scimmy-managed (meta, schemas): ignored on input. */
  readonly skip: boolean;
  /** Accepted and checked but never kept (password: returned never). */
  readonly writeOnly: boolean;
  readonly canonical: readonly string[] | undefined;
  readonly sub: ReadonlyMap<string, Node> | undefined;
}

const FALLBACK = Symbol('fallback');
type Result = unknown | typeof FALLBACK;

function isDefinition(a: unknown): a is Definition {
  return typeof a === 'object' && a !== null && typeof (a as Definition).name === 'string' && 'config' in a;
}

function compileNodes(attributes: readonly unknown[]): Map<string, Node> {
  const nodes = new Map<string, Node>();
  for (const a of attributes) {
    if (!isDefinition(a)) continue;
    const c = a.config;
    nodes.set(a.name.toLowerCase(), {
      name: a.name,
      type: a.type,
      multiValued: c.multiValued === true,
      required: c.required === true,
      skip: c.direction === 'out' || a.name === 'meta' || a.name === 'schemas',
      writeOnly: c.returned === false,
      canonical: Array.isArray(c.canonicalValues) ? c.canonicalValues : undefined,
      sub: a.subAttributes ? compileNodes(a.subAttributes) : undefined,
    });
  }
  return nodes;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function scalar(node: Node, value: unknown): Result {
  switch (node.type) {
    case 'string':
    case 'reference':
      if (typeof value !== 'string') return FALLBACK;
      return node.canonical && !node.canonical.includes(value) ? FALLBACK : value;
    case 'boolean':
      return typeof value === 'boolean' ? value : FALLBACK;
    default:
      return FALLBACK; // dateTime, numbers, binary: scimmy's rules
  }
}

/** A complex value's known sub-attributes, or FALLBACK. Unknown ones are dropped, as scimmy does. */
function complex(node: Node, value: unknown): Result {
  if (!isPlainObject(value)) return FALLBACK;
  const out: Record<string, unknown> = {};
  const seen = new Set<string>();
  for (const [key, v] of Object.entries(value)) {
    const lower = key.toLowerCase();
    if (seen.has(lower)) return FALLBACK;
    seen.add(lower);
    const sub = node.sub!.get(lower);
    if (!sub || sub.skip || v === undefined) continue;
    if (v === null) return FALLBACK; // scimmy checks a null against canonical values
    const coerced = sub.sub ? FALLBACK : scalar(sub, v);
    if (coerced === FALLBACK) return FALLBACK;
    if (!sub.writeOnly) out[sub.name] = coerced;
  }
  // scimmy's handling of empty complex values depends on where they sit: leave them to it.
  return Object.keys(out).length > 0 ? out : FALLBACK;
}

function attribute(node: Node, value: unknown): Result {
  if (node.multiValued) {
    if (!Array.isArray(value) || !node.sub) return FALLBACK;
    const out: unknown[] = [];
    for (const element of value) {
      const coerced = complex(node, element);
      if (coerced === FALLBACK) return FALLBACK;
      out.push(coerced);
    }
    return out;
  }
  return node.sub ? complex(node, value) : scalar(node, value);
}

function walk(
  nodes: ReadonlyMap<string, Node>,
  source: Record<string, unknown>,
  out: Record<string, unknown>,
  extensionKey?: string,
): boolean {
  const seen = new Set<string>();
  for (const [key, value] of Object.entries(source)) {
    const lower = key.toLowerCase();
    if (seen.has(lower)) return false;
    seen.add(lower);
    if (extensionKey !== undefined && (lower === extensionKey || lower.startsWith(`${extensionKey}:`))) continue;
    if (lower.startsWith('urn:')) return false;
    if (lower === 'schemas' && !(Array.isArray(value) && value.every((v) => typeof v === 'string'))) return false;
    const node = nodes.get(lower);
    if (!node || node.skip) continue;
    if (value === null || value === undefined) return false;
    const coerced = attribute(node, value);
    if (coerced === FALLBACK) return false;
    if (!node.writeOnly) out[node.name] = coerced;
  }
  for (const node of nodes.values()) {
    if (node.required && !node.skip && !seen.has(node.name.toLowerCase())) return false;
  }
  return true;
}

export interface FastUserCoercion {
  /** The coerced resource, or undefined when scimmy must coerce this body. */
  (body: unknown): CoercedResource | undefined;
}

export function compileUserCoercion(core: SchemaLike, extension: SchemaLike): FastUserCoercion {
  const coreNodes = compileNodes(core.attributes);
  const extensionNodes = compileNodes(extension.attributes);
  const extensionKey = extension.id.toLowerCase();
  return (body) => {
    if (!isPlainObject(body)) return undefined;
    // scimmy refuses a non-empty `schemas` without the User schema (and reads only that spelling).
    const declared = body.schemas;
    if (Array.isArray(declared) && declared.length > 0 && !declared.includes(core.id)) return undefined;
    if (Object.keys(body).some((k) => k !== 'schemas' && k.toLowerCase() === 'schemas')) return undefined;
    const out: Record<string, unknown> = {};
    if (!walk(coreNodes, body, out, extensionKey)) return undefined;
    let extensionValue: unknown;
    for (const [key, value] of Object.entries(body)) {
      const lower = key.toLowerCase();
      if (lower.startsWith(`${extensionKey}:`)) return undefined; // namespaced keys: scimmy merges them
      if (lower === extensionKey) extensionValue = value;
    }
    if (extensionValue !== undefined) {
      if (!isPlainObject(extensionValue)) return undefined;
      const ext: Record<string, unknown> = {};
      if (!walk(extensionNodes, extensionValue, ext)) return undefined;
      if (Object.keys(ext).length > 0) out[extension.id] = ext;
    }
    return out;
  };
}

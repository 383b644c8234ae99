/**
 * `attributes` and `excludedAttributes` (RFC 7644 §3.4.2.5) applied to outgoing
 * resources, and the question "does the client want this attribute at all?" asked before
 * loading it (`excludedAttributes=members` never loads a group's members).
 * `id` and `schemas` are always returned.
 */
import { pathSegments } from './attribute-paths.js';

type Json = Record<string, unknown>;

export interface Projection {
  readonly include: string[][] | null;
  readonly exclude: string[][];
}

const ALWAYS = new Set(['id', 'schemas']);

function list(raw: string | readonly string[] | undefined): string[][] | null {
  if (raw === undefined) return null;
  const items = (typeof raw === 'string' ? raw.split(',') : [...raw]).map((s) => s.trim()).filter((s) => s.length > 0);
  return items.length > 0 ? items.map(pathSegments) : null;
}

export function parseProjection(
  attributes?: string | readonly string[],
  excludedAttributes?: string | readonly string[],
): Projection {
  return { include: list(attributes), exclude: list(excludedAttributes) ?? [] };
}

export const FULL_PROJECTION: Projection = { include: null, exclude: [] };

/** Whether a top-level attribute (lower-case) will be part of the response. */
export function wants(p: Projection, attribute: string): boolean {
  if (p.exclude.some((path) => path.length === 1 && path[0] === attribute)) return false;
  if (p.include === null) return true;
  return p.include.some((path) => path[0] === attribute);
}

function pick(value: unknown, paths: string[][]): unknown {
  if (paths.some((p) => p.length === 0)) return value;
  if (Array.isArray(value)) return value.map((v) => pick(v, paths));
  if (typeof value !== 'object' || value === null) return value;
  const out: Json = {};
  for (const [key, v] of Object.entries(value as Json)) {
    const k = key.toLowerCase();
    const sub = paths.filter((p) => p[0] === k).map((p) => p.slice(1));
    if (sub.length > 0) out[key] = pick(v, sub);
  }
  return out;
}

function drop(value: unknown, paths: string[][]): unknown {
  if (Array.isArray(value)) return value.map((v) => drop(v, paths));
  if (typeof value !== 'object' || value === null) return value;
  const out: Json = {};
  for (const [key, v] of Object.entries(value as Json)) {
    const k = key.toLowerCase();
    const matching = paths.filter((p) => p[0] === k);
    if (matching.some((p) => p.length === 1)) continue;
    out[key] =
      matching.length > 0
        ? drop(
            v,
            matching.map((p) => p.slice(1)),
          )
        : v;
  }
  return out;
}

export function project(resource: Json, p: Projection): Json {
  let out = resource;
  if (p.include !== null) {
    const picked = pick(resource, p.include) as Json;
    out = {};
    for (const [key, v] of Object.entries(resource)) {
      if (ALWAYS.has(key)) out[key] = v;
      else if (key in picked) out[key] = picked[key];
    }
  }
  if (p.exclude.length > 0) {
    const kept = p.exclude.filter((path) => !(path.length === 1 && ALWAYS.has(path[0]!)));
    out = drop(out, kept) as Json;
  }
  return out;
}

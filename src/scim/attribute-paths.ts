/**
 * Attribute paths as clients write them (RFC 7644 §3.10): case-insensitive, optionally
 * prefixed by their schema URN. Normalised to lower-case segments; an extension's
 * attributes live under one segment, the extension's URN.
 */
import { URN } from './urns.js';

const CORE = [URN.user, URN.group].map((u) => `${u.toLowerCase()}:`);
const EXTENSIONS = [URN.enterpriseUser.toLowerCase()];

export function pathSegments(path: string): string[] {
  const lower = path.trim().toLowerCase();
  for (const ext of EXTENSIONS) {
    if (lower === ext) return [ext];
    if (lower.startsWith(`${ext}:`)) return [ext, ...lower.slice(ext.length + 1).split('.')];
  }
  for (const core of CORE) if (lower.startsWith(core)) return lower.slice(core.length).split('.');
  return lower.split('.');
}

/** The key of `obj` that a lower-case segment names, if any. */
export function keyFor(obj: Record<string, unknown>, segment: string): string | undefined {
  return Object.keys(obj).find((k) => k.toLowerCase() === segment);
}

/**
 * Whether a directory's user differs from what the connection holds, in what the directory
 * says about a person: a run writes a user only when this says so, which is what makes a
 * re-run over an unchanged directory write nothing.
 */
import type { DirectoryUser, MultiValue, UserInput } from '../../domain/directory.js';

/**
 * Structural equality of JSON-like values: object keys in any order (PostgreSQL's jsonb does
 * not keep the order they were written in), an absent, undefined or null value alike.
 * Allocation-free: a run compares every user of the directory.
 */
function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === undefined || a === null || b === undefined || b === null) return (a ?? null) === (b ?? null);
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!same(a[i], b[i])) return false;
    return true;
  }
  if (typeof a !== 'object' || typeof b !== 'object' || Array.isArray(b)) return false;
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  for (const k in x) if (!same(x[k], y[k])) return false;
  for (const k in y) if (!(k in x) && y[k] !== undefined && y[k] !== null) return false;
  return true;
}

function sameValues(a: readonly MultiValue[] | undefined, b: readonly MultiValue[] | undefined): boolean {
  const x = a ?? [];
  const y = b ?? [];
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    const w = y[i]!;
    if (
      !same(v.value, w.value) ||
      !same(v.type, w.type) ||
      !same(v.primary, w.primary) ||
      !same(v.display, w.display) ||
      !same(v.subAttributes, w.subAttributes)
    )
      return false;
  }
  return true;
}

export function differs(current: DirectoryUser, next: UserInput): boolean {
  return (
    current.userName !== next.userName ||
    current.externalId !== next.externalId ||
    current.active !== next.active ||
    current.displayName !== next.displayName ||
    current.title !== next.title ||
    !same(current.name, next.name) ||
    !same(current.enterprise, next.enterprise) ||
    !sameValues(current.multiValued.emails, next.multiValued.emails) ||
    !same(current.extensions, next.extensions)
  );
}

/** A user as input again (what an update starts from). */
export function inputOf(user: DirectoryUser): UserInput {
  const { id: _id, orgId: _org, connectionId: _c, version: _v, createdAt: _ca, updatedAt: _ua, ...input } = user;
  return input;
}

/**
 * Whether a directory's user differs from what the connection holds, in what the directory
 * says about a person: a run writes a user only when this says so, which is what makes a
 * re-run over an unchanged directory write nothing.
 */
import type { DirectoryUser, MultiValue, UserInput } from '../../domain/directory.js';

/** JSON with object keys in order (PostgreSQL's jsonb does not keep the order they were written in). */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

function values(list: readonly MultiValue[] | undefined): string {
  return canonical((list ?? []).map((v) => [v.value, v.type, v.primary, v.display, v.subAttributes]));
}

function same(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
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
    values(current.multiValued.emails) !== values(next.multiValued.emails) ||
    !same(current.extensions, next.extensions)
  );
}

/** A user as input again (what an update starts from). */
export function inputOf(user: DirectoryUser): UserInput {
  const { id: _id, orgId: _org, connectionId: _c, version: _v, createdAt: _ca, updatedAt: _ua, ...input } = user;
  return input;
}

/**
 * Scopes are `resource:action` (FoundriesFactory API scopes). The org's catalog names the
 * resources and actions that exist; `resource:*` in a grant means every action of the
 * resource, and `x:read-update` satisfies a check for `x:read`. Pure: no storage here.
 */
import { InvalidInputError } from '../domain/errors/index.js';

export const DEFAULT_RESOURCES = ['ci', 'source', 'devices', 'targets', 'containers'] as const;
export const DEFAULT_ACTIONS = ['read', 'read-update', 'create', 'delete'] as const;

export interface ScopeCatalog {
  readonly resources: readonly string[];
  readonly actions: readonly string[];
}

export interface CatalogExtension {
  readonly resources: readonly string[];
  readonly actions: readonly string[];
}

const NAME = /^[a-z][a-z0-9-]{0,62}$/;

/** The default catalog extended by the org's own resources and actions. */
export function catalogOf(extension: CatalogExtension | null): ScopeCatalog {
  const resources = new Set<string>(DEFAULT_RESOURCES);
  const actions = new Set<string>(DEFAULT_ACTIONS);
  for (const r of extension?.resources ?? []) resources.add(r);
  for (const a of extension?.actions ?? []) actions.add(a);
  return { resources: [...resources], actions: [...actions] };
}

/** Checks names for a catalog extension: lower-case words, no colon or wildcard. */
export function validateCatalogNames(kind: 'resource' | 'action', names: readonly string[]): void {
  for (const name of names) {
    if (!NAME.test(name)) {
      throw new InvalidInputError(
        'scope.invalid_name',
        `${JSON.stringify(name)} is not a valid ${kind} name (lower-case letters, digits and "-", starting with a letter)`,
      );
    }
  }
}

export interface ParsedScope {
  readonly resource: string;
  readonly action: string;
}

export function parseScope(scope: string): ParsedScope | undefined {
  const i = scope.indexOf(':');
  if (i <= 0 || i !== scope.lastIndexOf(':') || i === scope.length - 1) return undefined;
  return { resource: scope.slice(0, i), action: scope.slice(i + 1) };
}

function unknownScope(catalog: ScopeCatalog, scope: string, wildcard: boolean): InvalidInputError {
  return new InvalidInputError(
    'scope.unknown',
    `Unknown scope ${JSON.stringify(scope)}: expected resource:action with resource one of ` +
      `${catalog.resources.join(', ')} and action one of ${catalog.actions.join(', ')}${wildcard ? ' (or *)' : ''}`,
    { scope },
  );
}

/** A scope that can be granted: `resource:action` or `resource:*` from the catalog, else a 400. */
export function validateGrant(catalog: ScopeCatalog, scope: string): string {
  const parsed = parseScope(scope);
  const known =
    parsed !== undefined &&
    catalog.resources.includes(parsed.resource) &&
    (parsed.action === '*' || catalog.actions.includes(parsed.action));
  if (!known) throw unknownScope(catalog, scope, true);
  return scope;
}

/** A scope that can be checked: a concrete `resource:action` from the catalog, else a 400. */
export function validateCheck(catalog: ScopeCatalog, scope: string): ParsedScope {
  const parsed = parseScope(scope);
  if (!parsed || !catalog.resources.includes(parsed.resource) || !catalog.actions.includes(parsed.action)) {
    throw unknownScope(catalog, scope, false);
  }
  return parsed;
}

/** Every concrete scope a grant stands for (`x:*` expands to every action of the catalog). */
export function expandGrant(catalog: ScopeCatalog, grant: string): string[] {
  const parsed = parseScope(grant);
  if (!parsed) return [];
  if (parsed.action !== '*') return [grant];
  return catalog.actions.map((a) => `${parsed.resource}:${a}`);
}

/** Every scope of the catalog: the grant of an Owner or Admin in no team. */
export function everyScope(catalog: ScopeCatalog): string[] {
  return catalog.resources.flatMap((r) => catalog.actions.map((a) => `${r}:${a}`));
}

/** Whether holding `granted` (concrete or `x:*`) passes a check for `required`. */
export function satisfies(granted: string, required: string): boolean {
  if (granted === required) return true;
  const g = parseScope(granted);
  const r = parseScope(required);
  if (!g || !r || g.resource !== r.resource) return false;
  return g.action === '*' || (g.action === 'read-update' && r.action === 'read');
}

/** sortBy (RFC 7644 §3.4.2.3) through the same allowlist as filters; a multi-valued attribute sorts by its primary (else first) value. */
import type { GroupSortKey, SortOrder, UserSortKey } from '../../domain/directory-filter.js';
import { ScimError } from '../scim-error.js';
import { resolveGroupPath, resolveUserPath } from './resolve-filter.js';

function directionOf(order: 'ascending' | 'descending'): 'asc' | 'desc' {
  return order === 'descending' ? 'desc' : 'asc';
}

function cannotSort(sortBy: string): ScimError {
  return new ScimError(400, 'invalidValue', `Cannot sort by ${sortBy}`);
}

export function userSort(sortBy: string, order: 'ascending' | 'descending'): SortOrder<UserSortKey> {
  const target = resolveUserPath(sortBy);
  if (target?.kind === 'attribute') return { key: target.name, direction: directionOf(order) };
  if (target?.kind === 'collection' && target.collection !== 'groups' && (target.sub ?? 'value') === 'value') {
    return { key: target.collection, direction: directionOf(order) };
  }
  throw cannotSort(sortBy);
}

export function groupSort(sortBy: string, order: 'ascending' | 'descending'): SortOrder<GroupSortKey> {
  const target = resolveGroupPath(sortBy);
  if (target?.kind === 'attribute') return { key: target.name, direction: directionOf(order) };
  throw cannotSort(sortBy);
}

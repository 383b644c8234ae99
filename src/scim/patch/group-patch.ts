/**
 * Turns PATCH operations on a Group into a GroupChange: attribute updates plus ordered
 * membership steps, applied later as row deltas (never by loading and rewriting the
 * member list: that is O(group size) per change and loses concurrent updates).
 *
 * Shapes accepted for members: add/replace/remove on `members` with a value list; remove
 * on `members[value eq "id"]` (also `or`-ed ids); a pathless add/replace whose value has
 * `members`; Entra's remove with a value list removes only the listed members. A remove
 * of `members` without a value clears the group: the only way to clear it by PATCH.
 */
import type { GroupInput } from '../../domain/directory.js';
import type { GroupChange, MemberStep } from '../../directory/group-directory.js';
import type { Filter } from '../filter/parse-filter.js';
import { ScimError } from '../scim-error.js';
import type { PatchOperation } from './patch-request.js';
import { parsePatchPath } from './patch-path.js';

type Json = Record<string, unknown>;

function memberIds(value: unknown, where: string): string[] {
  const items = Array.isArray(value) ? value : [value];
  return items.map((item) => {
    const v =
      typeof item === 'object' && item !== null
        ? (item as Json)[Object.keys(item).find((k) => k.toLowerCase() === 'value') ?? 'value']
        : item;
    if (typeof v !== 'string' || v.length === 0)
      throw new ScimError(400, 'invalidValue', `${where}: each member needs a string value`);
    return v;
  });
}

/** The member ids a `members[...]` filter names: `value eq "id"` terms joined by `or`. */
function idsOfMemberFilter(f: Filter): string[] {
  if (f.op === 'eq' && f.attrPath.toLowerCase() === 'value' && typeof f.compValue === 'string') return [f.compValue];
  if (f.op === 'or') return f.filters.flatMap(idsOfMemberFilter);
  throw new ScimError(400, 'invalidFilter', 'A members filter must be value eq "<id>" (optionally or-ed)');
}

function textValue(value: unknown, name: string, nullable: boolean): string | null {
  if (value === null && nullable) return null;
  if (typeof value !== 'string' || (!nullable && value.trim() === '')) {
    throw new ScimError(400, 'invalidValue', `${name} must be a ${nullable ? '' : 'non-empty '}string`);
  }
  return value;
}

export function groupPatchToChange(operations: readonly PatchOperation[]): GroupChange {
  const attributes: { -readonly [K in keyof GroupInput]?: GroupInput[K] } = {};
  const members: MemberStep[] = [];

  const setAttribute = (name: string, op: PatchOperation['op'], value: unknown): void => {
    switch (name) {
      case 'displayname':
        if (op === 'remove') throw new ScimError(400, 'mutability', 'displayName is required and cannot be removed');
        attributes.displayName = textValue(value, 'displayName', false)!;
        return;
      case 'externalid':
        attributes.externalId = op === 'remove' ? null : textValue(value, 'externalId', true);
        return;
      case 'members':
        if (op === 'remove') {
          members.push(
            value === undefined
              ? { op: 'replace', userIds: [] }
              : { op: 'remove', userIds: memberIds(value, 'members') },
          );
        } else {
          members.push({ op, userIds: memberIds(value ?? [], 'members') });
        }
        return;
      case 'id':
      case 'meta':
      case 'schemas':
        throw new ScimError(400, 'mutability', `${name} cannot be changed`);
      default:
        throw new ScimError(400, 'invalidPath', `Unknown or unsupported Group attribute: ${name}`);
    }
  };

  for (const op of operations) {
    if (op.path === undefined) {
      if (typeof op.value !== 'object' || op.value === null || Array.isArray(op.value)) {
        throw new ScimError(400, 'invalidValue', `A pathless ${op.op} needs an object value`);
      }
      for (const [key, value] of Object.entries(op.value as Json)) {
        const name = key.toLowerCase().replace(/^urn:ietf:params:scim:schemas:core:2\.0:group:/, '');
        // Okta sends the group's own id inside a pathless replace; id, meta and schemas are read-only: ignored here.
        if (
          name === 'id' ||
          name === 'meta' ||
          name === 'schemas' ||
          key.startsWith('http://') ||
          key.startsWith('urn:')
        )
          continue;
        setAttribute(name, op.op, value);
      }
      continue;
    }
    const path = parsePatchPath(op.path);
    const name = path.attribute.join('.');
    if (path.filter) {
      if (name !== 'members' || path.sub !== undefined)
        throw new ScimError(400, 'invalidPath', `Unsupported path: ${op.path}`);
      if (op.op !== 'remove')
        throw new ScimError(400, 'invalidPath', 'Add or replace members with path "members" and a value list');
      members.push({ op: 'remove', userIds: idsOfMemberFilter(path.filter) });
      continue;
    }
    setAttribute(name, op.op, op.value);
  }
  return { attributes, members };
}

/**
 * A filter over directory users or groups, in the directory's own words: attributes by
 * name, values already typed. Protocol adapters build it (SCIM parses and resolves its
 * filter syntax into one); the store compiles it for its database. Plain data, so it
 * crosses from the protocol room to the storage room without either knowing the other.
 *
 * Semantics are two-valued: a comparison on an absent attribute is false (never unknown),
 * so `not` and `ne` treat absence as SCIM does. A collection term (`some`) holds when at
 * least one element of the collection satisfies all of its conditions together.
 */
import { MULTI_VALUED_ATTRIBUTES, type MultiValuedAttribute } from './directory.js';

export type FilterOperator = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le' | 'pr';

export type AttributeType = 'string' | 'boolean' | 'dateTime';

/** A typed comparison value; instants are milliseconds since the epoch (UTC). */
export type FilterValue =
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'boolean'; readonly value: boolean }
  | { readonly type: 'dateTime'; readonly epochMs: number };

export interface Comparison<Name extends string> {
  readonly kind: 'compare';
  readonly attribute: Name;
  readonly op: FilterOperator;
  /** Absent for `pr`. */
  readonly value?: FilterValue;
}

export type Logical<Leaf> =
  | { readonly kind: 'and' | 'or'; readonly filters: ReadonlyArray<Logical<Leaf>> }
  | { readonly kind: 'not'; readonly filter: Logical<Leaf> }
  | { readonly kind: 'constant'; readonly value: boolean }
  | Leaf;

/** Sub-attributes of an element of a multi-valued attribute. */
export type ElementAttribute = 'value' | 'type' | 'display' | 'primary';

/** Conditions on one element of a collection. */
export type ElementFilter = Logical<Comparison<ElementAttribute>>;

/** Some element of the collection satisfies `where`. */
export interface CollectionTerm<Collection extends string> {
  readonly kind: 'some';
  readonly collection: Collection;
  readonly where: ElementFilter;
}

export interface AttributeSpec {
  readonly type: AttributeType;
  /** Case-sensitive comparison (RFC 7643 caseExact). */
  readonly caseExact: boolean;
}

const text = (caseExact = false): AttributeSpec => ({ type: 'string', caseExact });
const META = {
  created: { type: 'dateTime', caseExact: true },
  lastModified: { type: 'dateTime', caseExact: true },
} as const satisfies Record<string, AttributeSpec>;

/** The single-valued attributes of a user that filters and sorting may name. */
export const USER_ATTRIBUTES = {
  id: text(true),
  externalId: text(true),
  userName: text(),
  displayName: text(),
  nickName: text(),
  profileUrl: text(true),
  title: text(),
  userType: text(),
  preferredLanguage: text(),
  locale: text(),
  timezone: text(),
  active: { type: 'boolean', caseExact: true },
  'name.formatted': text(),
  'name.familyName': text(),
  'name.givenName': text(),
  'name.middleName': text(),
  'name.honorificPrefix': text(),
  'name.honorificSuffix': text(),
  employeeNumber: text(),
  costCenter: text(),
  organization: text(),
  division: text(),
  department: text(),
  'manager.value': text(true),
  'manager.displayName': text(),
  ...META,
} as const satisfies Record<string, AttributeSpec>;
export type UserAttribute = keyof typeof USER_ATTRIBUTES;

export const GROUP_ATTRIBUTES = {
  id: text(true),
  externalId: text(true),
  displayName: text(),
  ...META,
} as const satisfies Record<string, AttributeSpec>;
export type GroupAttribute = keyof typeof GROUP_ATTRIBUTES;

/** A user's collections: multi-valued attributes, and `groups` (value: group id, display: its name). */
export type UserCollection = MultiValuedAttribute | 'groups';
export const USER_COLLECTIONS: readonly UserCollection[] = [...MULTI_VALUED_ATTRIBUTES, 'groups'];
/** A group's `members` (value: user id, display: their userName). */
export type GroupCollection = 'members';

/** Which sub-attributes an element of a collection has, and their types. */
export function elementAttributes(
  collection: UserCollection | GroupCollection,
): Partial<Record<ElementAttribute, AttributeSpec>> {
  if (collection === 'groups' || collection === 'members') {
    return { value: text(true), display: text() };
  }
  return { value: text(), type: text(), display: text(), primary: { type: 'boolean', caseExact: true } };
}

export type UserFilter = Logical<Comparison<UserAttribute> | CollectionTerm<UserCollection>>;
export type GroupFilter = Logical<Comparison<GroupAttribute> | CollectionTerm<GroupCollection>>;

/** A sort key: a single-valued attribute, or a collection by its primary (else first) value. */
export type UserSortKey = UserAttribute | MultiValuedAttribute;
export type GroupSortKey = GroupAttribute;

export interface SortOrder<Key extends string> {
  readonly key: Key;
  readonly direction: 'asc' | 'desc';
}

export const MATCH_NOTHING = { kind: 'constant', value: false } as const;

/** What a search of users or groups is asked: a directory filter, a sort, and a page. */
export interface DirectorySearch<Filter, Key extends string> {
  readonly filter?: Filter;
  readonly sort?: SortOrder<Key>;
  readonly offset?: number;
  /** Keyset position in the default (created_at, id) order: rows strictly after it. */
  readonly after?: { readonly createdAt: string; readonly id: string };
  readonly limit: number;
  /** Also load the direct group memberships of the page's rows (users). */
  readonly withGroups?: boolean;
}

/**
 * The allowlist of filterable and sortable attributes, per resource type, and where each
 * lives in the database. Only these names ever become SQL identifiers; anything else is a
 * 400 invalidFilter. Names are matched case-insensitively, with or without their schema
 * URN (RFC 7644 §3.10).
 */
import { MULTI_VALUED_ATTRIBUTES, type MultiValuedAttribute } from '../../domain/directory.js';
import { URN } from '../urns.js';

export type AttrType = 'string' | 'boolean' | 'dateTime';

/** A column of the resource's own table. */
export interface ColumnAttribute {
  readonly kind: 'column';
  readonly column: string;
  readonly type: AttrType;
  readonly caseExact: boolean;
  /** A column holding the application-folded value, compared for case-insensitive matching. */
  readonly folded?: string;
}

/** A sub-attribute of a multi-valued user attribute (rows of directory_user_values). */
export interface ValueAttribute {
  readonly kind: 'value';
  readonly attribute: MultiValuedAttribute;
  readonly sub: 'value' | 'type' | 'display' | 'primary';
}

/** User.groups or Group.members (rows of group_memberships). */
export interface MembershipAttribute {
  readonly kind: 'membership';
  readonly resource: 'User' | 'Group';
  readonly sub: 'value' | 'display';
}

export interface ConstantAttribute {
  readonly kind: 'constant';
  readonly value: string;
}

export type ResolvedAttribute = ColumnAttribute | ValueAttribute | MembershipAttribute | ConstantAttribute;

/** A multi-valued attribute named without a sub-attribute (`emails`), resolved by its sub-attributes. */
export interface MultiValuedParent {
  readonly kind: 'parent';
  readonly resolveSub: (sub: string) => ResolvedAttribute | undefined;
}

const col = (column: string, type: AttrType = 'string', caseExact = false, folded?: string): ColumnAttribute => ({
  kind: 'column',
  column,
  type,
  caseExact,
  ...(folded ? { folded } : {}),
});

const META: Record<string, ResolvedAttribute> = {
  'meta.created': col('created_at', 'dateTime', true),
  'meta.lastmodified': col('updated_at', 'dateTime', true),
};

const USER_COLUMNS: Record<string, ResolvedAttribute> = {
  id: col('id', 'string', true),
  externalid: col('external_id', 'string', true),
  username: col('user_name', 'string', false, 'user_name_lower'),
  displayname: col('display_name'),
  nickname: col('nick_name'),
  profileurl: col('profile_url', 'string', true),
  title: col('title'),
  usertype: col('user_type'),
  preferredlanguage: col('preferred_language'),
  locale: col('locale'),
  timezone: col('timezone'),
  active: col('active', 'boolean', true),
  'name.formatted': col('name_formatted'),
  'name.familyname': col('name_family_name'),
  'name.givenname': col('name_given_name'),
  'name.middlename': col('name_middle_name'),
  'name.honorificprefix': col('name_honorific_prefix'),
  'name.honorificsuffix': col('name_honorific_suffix'),
  'meta.resourcetype': { kind: 'constant', value: 'User' },
  ...META,
};

const ENTERPRISE_COLUMNS: Record<string, ResolvedAttribute> = {
  employeenumber: col('employee_number'),
  costcenter: col('cost_center'),
  organization: col('organization'),
  division: col('division'),
  department: col('department'),
  manager: col('manager_value', 'string', true),
  'manager.value': col('manager_value', 'string', true),
  'manager.displayname': col('manager_display_name'),
};

const GROUP_COLUMNS: Record<string, ResolvedAttribute> = {
  id: col('id', 'string', true),
  externalid: col('external_id', 'string', true),
  displayname: col('display_name', 'string', false, 'display_name_lower'),
  'meta.resourcetype': { kind: 'constant', value: 'Group' },
  ...META,
};

const VALUE_SUBS = ['value', 'type', 'display', 'primary'] as const;

function stripPrefix(path: string, urn: string): string | undefined {
  const lower = path.toLowerCase();
  const prefix = `${urn.toLowerCase()}:`;
  return lower.startsWith(prefix) ? lower.slice(prefix.length) : undefined;
}

function userValueAttribute(attribute: MultiValuedAttribute, sub: string): ResolvedAttribute | undefined {
  const match = VALUE_SUBS.find((s) => s === sub);
  return match ? { kind: 'value', attribute, sub: match } : undefined;
}

function membership(resource: 'User' | 'Group', sub: string): ResolvedAttribute | undefined {
  return sub === 'value' || sub === 'display' ? { kind: 'membership', resource, sub } : undefined;
}

export type Resolution = ResolvedAttribute | MultiValuedParent | undefined;

export function resolveUserAttribute(path: string): Resolution {
  const enterprise = stripPrefix(path, URN.enterpriseUser);
  if (enterprise !== undefined) return ENTERPRISE_COLUMNS[enterprise];
  const name = stripPrefix(path, URN.user) ?? path.toLowerCase();
  const direct = USER_COLUMNS[name];
  if (direct) return direct;
  const [head, sub, ...rest] = name.split('.');
  if (rest.length > 0 || head === undefined) return undefined;
  if (head === 'groups') {
    return sub === undefined
      ? { kind: 'parent', resolveSub: (s) => membership('User', s.toLowerCase()) }
      : membership('User', sub);
  }
  const attribute = MULTI_VALUED_ATTRIBUTES.find((a) => a.toLowerCase() === head);
  if (!attribute) return undefined;
  if (sub === undefined) return { kind: 'parent', resolveSub: (s) => userValueAttribute(attribute, s.toLowerCase()) };
  return userValueAttribute(attribute, sub);
}

export function resolveGroupAttribute(path: string): Resolution {
  const name = stripPrefix(path, URN.group) ?? path.toLowerCase();
  const direct = GROUP_COLUMNS[name];
  if (direct) return direct;
  const [head, sub, ...rest] = name.split('.');
  if (head !== 'members' || rest.length > 0) return undefined;
  if (sub === undefined) return { kind: 'parent', resolveSub: (s) => membership('Group', s.toLowerCase()) };
  return membership('Group', sub);
}

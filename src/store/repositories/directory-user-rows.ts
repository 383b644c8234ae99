/**
 * A directory user as rows and back: the columns of directory_users and the rows of its
 * multi-valued attributes (directory_user_values) going in; coming out, one shape only, a
 * directory_users row that carries its values (and, when asked, its groups) aggregated as
 * JSON by the SQL below, per dialect. Every read of a user selects that shape.
 */
import {
  MULTI_VALUED_ATTRIBUTES,
  foldCase,
  type DirectoryUser,
  type MultiValue,
  type MultiValuedAttribute,
} from '../../domain/directory.js';
import { ConflictError } from '../../domain/errors/index.js';
import { fromJson, isUniqueViolation, toBool, toIso, toJson, violatedConstraint } from '../rows.js';

export type Row = Record<string, unknown>;

export type UserGroups = Array<{ id: string; displayName: string }>;

const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

/** The columns of directory_users a write sets (not id, org_id and created_at, which never change). */
export function userColumns(u: DirectoryUser): Row {
  return {
    connection_id: u.connectionId,
    external_id: u.externalId,
    user_name: u.userName,
    user_name_lower: foldCase(u.userName),
    active: u.active,
    display_name: u.displayName,
    nick_name: u.nickName,
    profile_url: u.profileUrl,
    title: u.title,
    user_type: u.userType,
    preferred_language: u.preferredLanguage,
    locale: u.locale,
    timezone: u.timezone,
    name_formatted: u.name.formatted,
    name_family_name: u.name.familyName,
    name_given_name: u.name.givenName,
    name_middle_name: u.name.middleName,
    name_honorific_prefix: u.name.honorificPrefix,
    name_honorific_suffix: u.name.honorificSuffix,
    employee_number: u.enterprise.employeeNumber,
    cost_center: u.enterprise.costCenter,
    organization: u.enterprise.organization,
    division: u.enterprise.division,
    department: u.enterprise.department,
    manager_value: u.enterprise.managerValue,
    manager_display_name: u.enterprise.managerDisplayName,
    extensions: toJson(u.extensions),
    version: u.version,
    updated_at: u.updatedAt,
  };
}

/** The directory_users row of a new user. */
export function newUserRow(u: DirectoryUser): Row {
  return { id: u.id, org_id: u.orgId, created_at: u.createdAt, ...userColumns(u) };
}

/** The rows of a user's multi-valued attributes (emails, phone numbers, ...). */
export function valueRows(user: DirectoryUser): Row[] {
  const rows: Row[] = [];
  for (const attribute of MULTI_VALUED_ATTRIBUTES) {
    (user.multiValued[attribute] ?? []).forEach((v, position) => {
      rows.push({
        org_id: user.orgId,
        user_id: user.id,
        attribute,
        position,
        type: v.type,
        value: v.value,
        value_lower: v.value === null ? null : foldCase(v.value),
        display: v.display,
        primary: v.primary,
        sub_attributes: toJson(v.subAttributes),
      });
    });
  }
  return rows;
}

/** Whether two versions of a user differ in their multi-valued attributes (as their rows). */
export function valuesDiffer(before: DirectoryUser, after: DirectoryUser): boolean {
  return JSON.stringify(valueRows(before)) !== JSON.stringify(valueRows(after));
}

/** A user's multi-valued attributes as one JSON array (per dialect), for `directory_users as u`: select it `AS mv`. */
export function valuesJsonSql(pg: boolean): string {
  return pg
    ? `(SELECT json_agg(json_build_object('attribute', v.attribute, 'type', v.type, 'value', v.value, 'display', v.display,
            'primary', v."primary", 'sub_attributes', v.sub_attributes) ORDER BY v.attribute, v.position)
          FROM directory_user_values v WHERE v.user_id = u.id)`
    : `(SELECT json_group_array(json_object('attribute', v.attribute, 'type', v.type, 'value', v.value, 'display', v.display,
            'primary', v."primary", 'sub_attributes', json(v.sub_attributes)))
          FROM (SELECT * FROM directory_user_values WHERE user_id = u.id ORDER BY attribute, position) v)`;
}

/** A user's direct groups as one JSON array (per dialect), for `directory_users as u`: select it `AS grp`. */
export function groupsJsonSql(pg: boolean): string {
  return pg
    ? // The OFFSET 0 fence keeps PostgreSQL on primary-key lookups of the user's few groups
      // (its default costs would hash the whole groups table for every user on the page).
      // The rows are ordered in a subquery and aggregated as they come: an aggregate's own
      // ORDER BY starts a sort per user, about a quarter of a lone `userName eq` lookup's time
      // in the database (PostgreSQL 15 does not feed it presorted rows).
      `(SELECT json_agg(json_build_object('id', x.id, 'displayName', x.display_name))
          FROM (SELECT g.id, g.display_name FROM group_memberships gm
                CROSS JOIN LATERAL (SELECT g.id, g.display_name, g.display_name_lower FROM directory_groups g
                                     WHERE g.id = gm.group_id OFFSET 0) g
               WHERE gm.user_id = u.id ORDER BY g.display_name_lower, g.id) x)`
    : `(SELECT json_group_array(json_object('id', x.id, 'displayName', x.display_name))
          FROM (SELECT g.id, g.display_name FROM group_memberships gm JOIN directory_groups g ON g.id = gm.group_id
                WHERE gm.user_id = u.id ORDER BY g.display_name_lower, g.id) x)`;
}

/** The user a row of `u.*` with its `mv` (valuesJsonSql) describes. */
export function decodeUser(row: Row): DirectoryUser {
  const multiValued: Partial<Record<MultiValuedAttribute, MultiValue[]>> = {};
  for (const v of fromJson<Row[]>(row.mv) ?? []) {
    if (v.attribute === null) continue;
    const attribute = v.attribute as MultiValuedAttribute;
    (multiValued[attribute] ??= []).push({
      type: str(v.type),
      value: str(v.value),
      display: str(v.display),
      primary: toBool(v.primary),
      subAttributes: fromJson<Record<string, unknown>>(v.sub_attributes),
    });
  }
  return {
    id: row.id as string,
    orgId: row.org_id as string,
    connectionId: str(row.connection_id),
    externalId: str(row.external_id),
    userName: row.user_name as string,
    active: toBool(row.active),
    displayName: str(row.display_name),
    nickName: str(row.nick_name),
    profileUrl: str(row.profile_url),
    title: str(row.title),
    userType: str(row.user_type),
    preferredLanguage: str(row.preferred_language),
    locale: str(row.locale),
    timezone: str(row.timezone),
    name: {
      formatted: str(row.name_formatted),
      familyName: str(row.name_family_name),
      givenName: str(row.name_given_name),
      middleName: str(row.name_middle_name),
      honorificPrefix: str(row.name_honorific_prefix),
      honorificSuffix: str(row.name_honorific_suffix),
    },
    enterprise: {
      employeeNumber: str(row.employee_number),
      costCenter: str(row.cost_center),
      organization: str(row.organization),
      division: str(row.division),
      department: str(row.department),
      managerValue: str(row.manager_value),
      managerDisplayName: str(row.manager_display_name),
    },
    multiValued,
    extensions: fromJson<Record<string, unknown>>(row.extensions),
    version: Number(row.version),
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
  };
}

/** The groups a row's `grp` (groupsJsonSql) lists. */
export function decodeGroups(row: Row): UserGroups {
  return fromJson<UserGroups>(row.grp) ?? [];
}

/** A taken userName (case-insensitive, per org) or externalId (per connection), as a ConflictError; anything else as is. */
export function asUserConflict(error: unknown, user: DirectoryUser): unknown {
  if (!isUniqueViolation(error)) return error;
  if (violatedConstraint(error).includes('external_id')) {
    return new ConflictError(
      'directory.external_id_taken',
      `externalId ${JSON.stringify(user.externalId)} is already in use`,
    );
  }
  return new ConflictError('directory.user_name_taken', `userName ${JSON.stringify(user.userName)} is already in use`);
}

/**
 * Directory users with their multi-valued attributes (rows in directory_user_values).
 * Every method is scoped to one org. A taken userName (case-insensitive, per org) or
 * externalId (per connection) becomes a ConflictError on both dialects.
 */
import type { Knex } from 'knex';
import {
  MULTI_VALUED_ATTRIBUTES,
  foldCase,
  type DirectoryUser,
  type MultiValue,
  type MultiValuedAttribute,
} from '../../domain/directory.js';
import { ConflictError } from '../../domain/errors/index.js';
import { fromJson, isUniqueViolation, toBool, toIso, toJson, violatedConstraint } from '../rows.js';

type Row = Record<string, unknown>;
const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

function userColumns(u: DirectoryUser): Row {
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

function toUser(row: Row, values: Row[]): DirectoryUser {
  const multiValued: Partial<Record<MultiValuedAttribute, MultiValue[]>> = {};
  for (const v of values) {
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

function uniquenessConflict(error: unknown, user: DirectoryUser): never {
  if (violatedConstraint(error).includes('external_id')) {
    throw new ConflictError(
      'directory.external_id_taken',
      `externalId ${JSON.stringify(user.externalId)} is already in use`,
    );
  }
  throw new ConflictError('directory.user_name_taken', `userName ${JSON.stringify(user.userName)} is already in use`);
}

export interface UserPage {
  readonly offset: number;
  readonly limit: number;
}

export class DirectoryUserRepository {
  constructor(private readonly db: Knex) {}

  async insert(user: DirectoryUser): Promise<void> {
    try {
      await this.db('directory_users').insert({
        id: user.id,
        org_id: user.orgId,
        created_at: user.createdAt,
        ...userColumns(user),
      });
    } catch (error) {
      if (isUniqueViolation(error)) uniquenessConflict(error, user);
      throw error;
    }
    await this.insertValues(user);
  }

  /** Replaces every attribute of an existing user; returns false when it does not exist in the org. */
  async replace(user: DirectoryUser): Promise<boolean> {
    let n: number;
    try {
      n = await this.db('directory_users').where({ org_id: user.orgId, id: user.id }).update(userColumns(user));
    } catch (error) {
      if (isUniqueViolation(error)) uniquenessConflict(error, user);
      throw error;
    }
    if (n === 0) return false;
    await this.db('directory_user_values').where({ org_id: user.orgId, user_id: user.id }).delete();
    await this.insertValues(user);
    return true;
  }

  private async insertValues(user: DirectoryUser): Promise<void> {
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
    if (rows.length > 0) await this.db.batchInsert('directory_user_values', rows, 200);
  }

  async get(orgId: string, id: string): Promise<DirectoryUser | undefined> {
    const row = await this.db<Row>('directory_users').where({ org_id: orgId, id }).first();
    if (!row) return undefined;
    const values = await this.db<Row>('directory_user_values')
      .where({ org_id: orgId, user_id: id })
      .orderBy(['attribute', 'position']);
    return toUser(row, values);
  }

  async findByUserName(orgId: string, userName: string): Promise<DirectoryUser | undefined> {
    const row = await this.db<Row>('directory_users')
      .where({ org_id: orgId, user_name_lower: foldCase(userName) })
      .first('id');
    return row ? this.get(orgId, row.id as string) : undefined;
  }

  /** A page in creation order, with multi-valued attributes loaded in one extra query. */
  async list(orgId: string, page: UserPage): Promise<DirectoryUser[]> {
    const rows = await this.db<Row>('directory_users')
      .where({ org_id: orgId })
      .orderBy([{ column: 'created_at' }, { column: 'id' }])
      .offset(page.offset)
      .limit(page.limit);
    if (rows.length === 0) return [];
    const values = await this.db<Row>('directory_user_values')
      .where({ org_id: orgId })
      .whereIn(
        'user_id',
        rows.map((r) => r.id as string),
      )
      .orderBy(['user_id', 'attribute', 'position']);
    const byUser = new Map<string, Row[]>();
    for (const v of values) {
      const list = byUser.get(v.user_id as string) ?? [];
      list.push(v);
      byUser.set(v.user_id as string, list);
    }
    return rows.map((r) => toUser(r, byUser.get(r.id as string) ?? []));
  }

  async count(orgId: string): Promise<number> {
    const [row] = await this.db('directory_users').where({ org_id: orgId }).count<{ n: number | string }[]>({ n: '*' });
    return Number(row?.n ?? 0);
  }

  async delete(orgId: string, id: string): Promise<boolean> {
    return (await this.db('directory_users').where({ org_id: orgId, id }).delete()) > 0;
  }
}

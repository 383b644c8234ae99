/**
 * DirectoryUser ⇄ SCIM User JSON (RFC 7643 §4.1 and the Enterprise extension §4.3).
 * Outgoing resources are built directly from stored values (already schema-conformant),
 * not re-coerced per row: that is what makes a page of 100 users cheap.
 */
import {
  EMPTY_ENTERPRISE,
  EMPTY_NAME,
  MULTI_VALUED_ATTRIBUTES,
  type DirectoryUser,
  type MultiValue,
  type MultiValuedAttribute,
  type UserInput,
} from '../domain/directory.js';
import type { CoercedResource } from './user-fast-coercion.js';
import { URN } from './urns.js';

type Json = Record<string, unknown>;

const NAME_KEYS = ['formatted', 'familyName', 'givenName', 'middleName', 'honorificPrefix', 'honorificSuffix'] as const;
const SIMPLE_KEYS = [
  'displayName',
  'nickName',
  'profileUrl',
  'title',
  'userType',
  'preferredLanguage',
  'locale',
  'timezone',
] as const;
const ENTERPRISE_KEYS = ['employeeNumber', 'costCenter', 'organization', 'division', 'department'] as const;

function compact(obj: Json): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(obj)) if (v !== null && v !== undefined) out[k] = v;
  return out;
}

function str(v: unknown): string | null {
  return v === null || v === undefined || v === '' ? null : String(v);
}

export interface UserLinks {
  readonly location: string;
  readonly groups?: ReadonlyArray<{ id: string; displayName: string }>;
  readonly groupsBaseUrl: string;
}

export function etagOf(version: number): string {
  return `W/"${version}"`;
}

export function toScimUser(user: DirectoryUser, links: UserLinks): Json {
  const name = compact({ ...user.name });
  const enterprise = compact({
    employeeNumber: user.enterprise.employeeNumber,
    costCenter: user.enterprise.costCenter,
    organization: user.enterprise.organization,
    division: user.enterprise.division,
    department: user.enterprise.department,
    manager:
      user.enterprise.managerValue !== null
        ? compact({ value: user.enterprise.managerValue, displayName: user.enterprise.managerDisplayName })
        : undefined,
  });
  const hasEnterprise = Object.keys(enterprise).length > 0;
  const out: Json = {
    schemas: hasEnterprise ? [URN.user, URN.enterpriseUser] : [URN.user],
    id: user.id,
    ...(user.externalId !== null ? { externalId: user.externalId } : {}),
    userName: user.userName,
    ...(Object.keys(name).length > 0 ? { name } : {}),
  };
  for (const key of SIMPLE_KEYS) if (user[key] !== null) out[key] = user[key];
  out.active = user.active;
  for (const attribute of MULTI_VALUED_ATTRIBUTES) {
    const values = user.multiValued[attribute];
    if (values && values.length > 0) {
      out[attribute] = values.map((v) =>
        compact({
          ...(v.subAttributes ?? {}),
          value: v.value,
          display: v.display,
          type: v.type,
          primary: v.primary || undefined,
        }),
      );
    }
  }
  if (links.groups && links.groups.length > 0) {
    out.groups = links.groups.map((g) => ({
      value: g.id,
      display: g.displayName,
      $ref: `${links.groupsBaseUrl}/${g.id}`,
      type: 'direct',
    }));
  }
  if (hasEnterprise) out[URN.enterpriseUser] = enterprise;
  out.meta = {
    resourceType: 'User',
    created: user.createdAt,
    lastModified: user.updatedAt,
    location: links.location,
    version: etagOf(user.version),
  };
  return out;
}

function multiValues(raw: unknown): MultiValue[] {
  if (!Array.isArray(raw)) return [];
  return raw
    .filter((v): v is Json => typeof v === 'object' && v !== null)
    .map((v) => {
      const { type, value, display, primary, ...rest } = v;
      const sub = compact(rest);
      return {
        type: str(type),
        value: str(value),
        display: str(display),
        primary: primary === true,
        subAttributes: Object.keys(sub).length > 0 ? sub : null,
      };
    });
}

/** A coerced SCIM User (see schemas.ts) as the directory's input. Attributes absent from it are cleared. */
export function fromScimUser(resource: CoercedResource): UserInput {
  const nameIn = (resource.name ?? {}) as Json;
  const ent = (resource[URN.enterpriseUser] ?? {}) as Json;
  const manager = (ent.manager ?? {}) as Json;
  const multiValued: Partial<Record<MultiValuedAttribute, MultiValue[]>> = {};
  for (const attribute of MULTI_VALUED_ATTRIBUTES) {
    const values = multiValues(resource[attribute]);
    if (values.length > 0) multiValued[attribute] = values;
  }
  const name = { ...EMPTY_NAME };
  for (const key of NAME_KEYS) (name as Record<string, string | null>)[key] = str(nameIn[key]);
  const enterprise = { ...EMPTY_ENTERPRISE };
  for (const key of ENTERPRISE_KEYS) (enterprise as Record<string, string | null>)[key] = str(ent[key]);
  (enterprise as Record<string, string | null>).managerValue = str(manager.value);
  (enterprise as Record<string, string | null>).managerDisplayName = str(manager.displayName);
  const simple: Record<string, string | null> = {};
  for (const key of SIMPLE_KEYS) simple[key] = str(resource[key]);
  return {
    externalId: str(resource.externalId),
    userName: String(resource.userName),
    active: resource.active === undefined ? true : resource.active === true,
    displayName: simple.displayName ?? null,
    nickName: simple.nickName ?? null,
    profileUrl: simple.profileUrl ?? null,
    title: simple.title ?? null,
    userType: simple.userType ?? null,
    preferredLanguage: simple.preferredLanguage ?? null,
    locale: simple.locale ?? null,
    timezone: simple.timezone ?? null,
    name,
    enterprise,
    multiValued,
    extensions: null,
  };
}

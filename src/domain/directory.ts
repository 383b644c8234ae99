/** Users and groups as an identity provider pushed them (RFC 7643 shapes, flattened). */

export const MULTI_VALUED_ATTRIBUTES = [
  'emails',
  'phoneNumbers',
  'ims',
  'photos',
  'addresses',
  'entitlements',
  'roles',
  'x509Certificates',
] as const;
export type MultiValuedAttribute = (typeof MULTI_VALUED_ATTRIBUTES)[number];

export interface MultiValue {
  readonly type: string | null;
  readonly value: string | null;
  readonly display: string | null;
  readonly primary: boolean;
  /** Sub-attributes other than type/value/display/primary (address parts, for example). */
  readonly subAttributes: Readonly<Record<string, unknown>> | null;
}

export interface PersonName {
  readonly formatted: string | null;
  readonly familyName: string | null;
  readonly givenName: string | null;
  readonly middleName: string | null;
  readonly honorificPrefix: string | null;
  readonly honorificSuffix: string | null;
}

/** urn:ietf:params:scim:schemas:extension:enterprise:2.0:User */
export interface EnterpriseAttributes {
  readonly employeeNumber: string | null;
  readonly costCenter: string | null;
  readonly organization: string | null;
  readonly division: string | null;
  readonly department: string | null;
  readonly managerValue: string | null;
  readonly managerDisplayName: string | null;
}

export interface DirectoryUser {
  readonly id: string;
  readonly orgId: string;
  readonly connectionId: string | null;
  readonly externalId: string | null;
  readonly userName: string;
  readonly active: boolean;
  readonly displayName: string | null;
  readonly nickName: string | null;
  readonly profileUrl: string | null;
  readonly title: string | null;
  readonly userType: string | null;
  readonly preferredLanguage: string | null;
  readonly locale: string | null;
  readonly timezone: string | null;
  readonly name: PersonName;
  readonly enterprise: EnterpriseAttributes;
  readonly multiValued: Readonly<Partial<Record<MultiValuedAttribute, readonly MultiValue[]>>>;
  /** Attributes of extension schemas other than the enterprise one, keyed by schema URN. */
  readonly extensions: Readonly<Record<string, unknown>> | null;
  readonly version: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface DirectoryGroup {
  readonly id: string;
  readonly orgId: string;
  readonly connectionId: string | null;
  readonly externalId: string | null;
  readonly displayName: string;
  readonly extensions: Readonly<Record<string, unknown>> | null;
  readonly version: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export const EMPTY_NAME: PersonName = {
  formatted: null,
  familyName: null,
  givenName: null,
  middleName: null,
  honorificPrefix: null,
  honorificSuffix: null,
};

export const EMPTY_ENTERPRISE: EnterpriseAttributes = {
  employeeNumber: null,
  costCenter: null,
  organization: null,
  division: null,
  department: null,
  managerValue: null,
  managerDisplayName: null,
};

/**
 * How userName uniqueness folds case: both dialects compare this value, computed here
 * (SQLite's lower() only folds ASCII).
 */
export function foldCase(value: string): string {
  return value.normalize('NFC').toLowerCase();
}

/** A user as a source (SCIM, a directory sync, just-in-time sign-in) hands it to the directory. */
export type UserInput = Omit<DirectoryUser, 'id' | 'orgId' | 'connectionId' | 'version' | 'createdAt' | 'updatedAt'>;

/** A group as a source hands it to the directory (its members travel separately). */
export interface GroupInput {
  readonly displayName: string;
  readonly externalId: string | null;
}

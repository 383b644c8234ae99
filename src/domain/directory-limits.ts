/**
 * The longest value each stored directory attribute may have (the column sizes of the
 * schema). Checked before writing, so PostgreSQL and SQLite refuse the same inputs with
 * the same clear error (SQLite would otherwise store anything, PostgreSQL fail).
 */
export const USER_LIMITS = {
  userName: 512,
  externalId: 512,
  displayName: 512,
  nickName: 256,
  profileUrl: 1024,
  title: 256,
  userType: 128,
  preferredLanguage: 64,
  locale: 64,
  timezone: 64,
  'name.formatted': 512,
  'name.familyName': 256,
  'name.givenName': 256,
  'name.middleName': 256,
  'name.honorificPrefix': 64,
  'name.honorificSuffix': 64,
  employeeNumber: 128,
  costCenter: 128,
  organization: 256,
  division: 256,
  department: 256,
  'manager.value': 512,
  'manager.displayName': 512,
} as const;

export const MULTI_VALUE_LIMITS = { type: 64, value: 1024, display: 512 } as const;

export const GROUP_LIMITS = { displayName: 512, externalId: 512 } as const;

/** The first attribute whose value is longer than its limit, with the limit. */
export function firstTooLong(
  values: Readonly<Record<string, string | null>>,
  limits: Readonly<Record<string, number>>,
): [string, number] | undefined {
  for (const [attribute, limit] of Object.entries(limits)) {
    const value = values[attribute];
    if (value !== null && value !== undefined && value.length > limit) return [attribute, limit];
  }
  return undefined;
}

/**
 * The rules every directory write obeys, whatever its source (SCIM, just-in-time sign-in, a
 * directory sync): a userName and a group name are present, and no value is longer than
 * its column (domain/directory-limits.ts), so PostgreSQL and SQLite refuse the same inputs
 * with the same clear error before anything is written.
 */
import type { GroupInput, UserInput } from '../domain/directory.js';
import { GROUP_LIMITS, MULTI_VALUE_LIMITS, USER_LIMITS, firstTooLong } from '../domain/directory-limits.js';
import { InvalidInputError } from '../domain/errors/index.js';

const NAME_KEYS = ['formatted', 'familyName', 'givenName', 'middleName', 'honorificPrefix', 'honorificSuffix'] as const;

function tooLong(attribute: string, limit: number): InvalidInputError {
  return new InvalidInputError('directory.value_too_long', `${attribute} is longer than ${limit} characters`, {
    attribute,
    limit,
  });
}

export function validateUserInput(input: UserInput): void {
  if (typeof input.userName !== 'string' || input.userName.trim() === '') {
    throw new InvalidInputError('directory.user_name_required', 'userName is required and must be a non-empty string');
  }
  const flat: Record<string, string | null> = {
    userName: input.userName,
    externalId: input.externalId,
    displayName: input.displayName,
    nickName: input.nickName,
    profileUrl: input.profileUrl,
    title: input.title,
    userType: input.userType,
    preferredLanguage: input.preferredLanguage,
    locale: input.locale,
    timezone: input.timezone,
    'manager.value': input.enterprise.managerValue,
    'manager.displayName': input.enterprise.managerDisplayName,
    employeeNumber: input.enterprise.employeeNumber,
    costCenter: input.enterprise.costCenter,
    organization: input.enterprise.organization,
    division: input.enterprise.division,
    department: input.enterprise.department,
  };
  for (const key of NAME_KEYS) flat[`name.${key}`] = input.name[key];
  const bad = firstTooLong(flat, USER_LIMITS);
  if (bad) throw tooLong(...bad);
  for (const [attribute, values] of Object.entries(input.multiValued)) {
    for (const v of values ?? []) {
      const badValue = firstTooLong({ type: v.type, value: v.value, display: v.display }, MULTI_VALUE_LIMITS);
      if (badValue) throw tooLong(`${attribute}.${badValue[0]}`, badValue[1]);
    }
  }
}

/** A group's attributes, or the ones a change sets. */
export function validateGroupInput(input: Partial<GroupInput>): void {
  if (input.displayName !== undefined && input.displayName.trim() === '') {
    throw new InvalidInputError(
      'directory.group_name_required',
      'displayName is required and must be a non-empty string',
    );
  }
  const bad = firstTooLong(
    { displayName: input.displayName ?? null, externalId: input.externalId ?? null },
    GROUP_LIMITS,
  );
  if (bad) throw tooLong(...bad);
}

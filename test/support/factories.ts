/** Builders for domain records in tests: complete objects with overridable fields. */
import { randomUUID } from 'node:crypto';
import { EMPTY_ENTERPRISE, EMPTY_NAME, type DirectoryGroup, type DirectoryUser } from '../../src/domain/directory.js';
import type { Team } from '../../src/domain/team.js';
import type { SessionRecord } from '../../src/store/repositories/sessions.js';

export function aUser(orgId: string, overrides: Partial<DirectoryUser> = {}): DirectoryUser {
  const at = new Date().toISOString();
  const id = randomUUID();
  return {
    id,
    orgId,
    connectionId: null,
    externalId: null,
    userName: `user-${id.slice(0, 8)}@example.com`,
    active: true,
    displayName: null,
    nickName: null,
    profileUrl: null,
    title: null,
    userType: null,
    preferredLanguage: null,
    locale: null,
    timezone: null,
    name: EMPTY_NAME,
    enterprise: EMPTY_ENTERPRISE,
    multiValued: {},
    extensions: null,
    version: 1,
    createdAt: at,
    updatedAt: at,
    ...overrides,
  };
}

export function aGroup(orgId: string, overrides: Partial<DirectoryGroup> = {}): DirectoryGroup {
  const at = new Date().toISOString();
  const id = randomUUID();
  return {
    id,
    orgId,
    connectionId: null,
    externalId: null,
    displayName: `group-${id.slice(0, 8)}`,
    extensions: null,
    version: 1,
    createdAt: at,
    updatedAt: at,
    ...overrides,
  };
}

export function aTeam(orgId: string, overrides: Partial<Team> = {}): Team {
  const at = new Date().toISOString();
  const id = randomUUID();
  return {
    id,
    orgId,
    name: `team-${id.slice(0, 8)}`,
    description: null,
    version: 1,
    createdAt: at,
    updatedAt: at,
    ...overrides,
  };
}

/** A session of the user that is live for the next hour. */
export function aLiveSession(
  scope: { orgId: string; connectionId: string },
  userId: string,
  protocol: SessionRecord['protocol'] = 'oidc',
): SessionRecord {
  const at = new Date().toISOString();
  return {
    idHash: randomUUID(),
    orgId: scope.orgId,
    userId,
    connectionId: scope.connectionId,
    protocol,
    data: null,
    createdAt: at,
    lastSeenAt: at,
    expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    revokedAt: null,
  };
}

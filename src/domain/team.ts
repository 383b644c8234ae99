export const MEMBERSHIP_SOURCES = ['idp', 'manual'] as const;
/** Where a team membership comes from: a mapping (recomputed) or an admin (kept). */
export type MembershipSource = (typeof MEMBERSHIP_SOURCES)[number];

export interface Team {
  readonly id: string;
  readonly orgId: string;
  readonly name: string;
  readonly description: string | null;
  readonly version: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export const MAPPING_MATCHES = ['id', 'external_id', 'display_name'] as const;
/** How a mapping finds its IdP group: by SCIM id or externalId (stable) or display name (renames break it). */
export type MappingMatch = (typeof MAPPING_MATCHES)[number];

export interface GroupMapping {
  readonly id: string;
  readonly orgId: string;
  readonly connectionId: string;
  readonly matchBy: MappingMatch;
  readonly matchValue: string;
  readonly grantsMembership: boolean;
  readonly role: string | null;
  readonly teamIds: readonly string[];
  readonly version: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

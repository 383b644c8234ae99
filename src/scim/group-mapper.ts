/** DirectoryGroup ⇄ SCIM Group JSON (RFC 7643 §4.2). */
import type { DirectoryGroup } from '../domain/directory.js';
import { etagOf } from './user-mapper.js';
import { URN } from './urns.js';

export interface GroupLinks {
  readonly location: string;
  /** Undefined when members were not asked for (and so not loaded). */
  readonly members?: ReadonlyArray<{ id: string; userName: string }>;
  readonly usersBaseUrl: string;
}

export function toScimGroup(group: DirectoryGroup, links: GroupLinks): Record<string, unknown> {
  return {
    schemas: [URN.group],
    id: group.id,
    ...(group.externalId !== null ? { externalId: group.externalId } : {}),
    displayName: group.displayName,
    ...(links.members
      ? {
          members: links.members.map((m) => ({
            value: m.id,
            display: m.userName,
            $ref: `${links.usersBaseUrl}/${m.id}`,
            type: 'User',
          })),
        }
      : {}),
    meta: {
      resourceType: 'Group',
      created: group.createdAt,
      lastModified: group.updatedAt,
      location: links.location,
      version: etagOf(group.version),
    },
  };
}

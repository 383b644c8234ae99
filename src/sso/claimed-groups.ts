/**
 * Group memberships from a sign-in's groups claim, for connections that provision just in
 * time (IdPs without SCIM, such as Google Workspace). The claim names the groups; groups
 * of the connection are found or created by display name, and the user's memberships in
 * this connection's groups are set to exactly the claim, through the group directory (so
 * team memberships follow). When the connection's directory is kept otherwise (a live SCIM
 * token, or the Google directory sync), that is the source of truth and claims change
 * nothing. A missing claim (or Entra's overage link instead of the list) means "unknown",
 * never "no groups".
 */
import type { Actor } from '../domain/actor.js';
import type { GroupDirectory } from '../directory/group-directory.js';
import { GROUP_LIMITS } from '../domain/directory-limits.js';
import type { Store } from '../store/store.js';

/** Whether SCIM pushes or a directory sync keep the connection's directory (claims then change nothing). */
export async function directoryKeptElsewhere(store: Store, orgId: string, connectionId: string): Promise<boolean> {
  if ((await store.repos.directorySync.sourceOf(connectionId)) !== 'scim') return true;
  const tokens = await store.repos.scimTokens.listForConnection(orgId, connectionId);
  return tokens.some((t) => t.revokedAt === null);
}

export async function syncClaimedGroups(
  store: Store,
  groups: GroupDirectory,
  scope: { orgId: string; connectionId: string },
  userId: string,
  claimed: readonly string[],
  actor: Actor,
): Promise<void> {
  const repos = store.repos;
  // A name the directory would refuse is left out rather than failing the sign-in.
  const wanted = new Set(
    claimed.map((g) => g.trim()).filter((g) => g.length > 0 && g.length <= GROUP_LIMITS.displayName),
  );
  const current = (await repos.groups.getMany(scope.orgId, await repos.groups.groupIdsOf(scope.orgId, userId))).filter(
    (g) => g.connectionId === scope.connectionId,
  );
  for (const group of current) {
    if (!wanted.has(group.displayName)) {
      await groups.change(scope, group.id, { members: [{ op: 'remove', userIds: [userId] }] }, {}, actor);
    }
  }
  const have = new Set(current.map((g) => g.displayName));
  for (const name of wanted) {
    if (have.has(name)) continue;
    const existing = await repos.groups.findByDisplayName(scope.orgId, scope.connectionId, name);
    if (existing) {
      await groups.change(scope, existing.id, { members: [{ op: 'add', userIds: [userId] }] }, {}, actor);
    } else {
      await groups.create(scope, { displayName: name, externalId: null }, [userId], actor);
    }
  }
}

/**
 * The directory hooks of the access model: after each SCIM (or JIT) change, inside the
 * same transaction, brings the `idp` team memberships in step for exactly what the change
 * can affect. A member change in a group no mapping names costs one indexed lookup; in a
 * mapped group it costs in proportion to the members changed, never to the group's size.
 * Decisions read the active flag and group memberships live, so nothing else is needed
 * for a push to change the next decision.
 */
import type { Repositories } from '../store/store.js';
import type { DirectoryChange, DirectoryHooks } from './hooks.js';

export const TEAM_SYNC_HOOKS: DirectoryHooks = {
  async afterChange(repos: Repositories, orgId: string, change: DirectoryChange): Promise<void> {
    switch (change.kind) {
      case 'users_upserted':
      case 'users_deleted':
        // A user's own attributes do not select teams; deleting cascades to their memberships.
        return;
      case 'groups_upserted':
        // A new group, or a rename / new externalId, may start or stop matching a mapping.
        for (const groupId of change.groupIds) await repos.idpTeams.reconcile(orgId, { groupId });
        return;
      case 'group_deleted':
        await repos.idpTeams.reconcile(orgId, { userIds: change.formerMemberIds });
        return;
      case 'members_changed':
        if (!(await repos.idpTeams.groupIsMapped(orgId, change.groupId))) return;
        await repos.idpTeams.reconcile(orgId, { userIds: [...change.added, ...change.removed] });
        return;
    }
  },
};

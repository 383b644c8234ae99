/**
 * The directory hooks of the access model: after each SCIM (or JIT) change, inside the
 * same transaction, brings the `idp` team memberships in step for exactly what the change
 * can affect. A member change in a group no mapping names costs one indexed lookup; in a
 * mapped group it costs in proportion to the members changed, never to the group's size.
 * Each change is also announced to every instance (at commit), which drops what it cached
 * for the users or the org named, so the next decision anywhere uses it.
 */
import type { Repositories } from '../store/store.js';
import { ATTR } from '../telemetry/attributes.js';
import { accessRecompute, timed } from '../telemetry/metrics.js';
import { inSpan, tracingEnabled } from '../telemetry/tracing.js';
import type { DirectoryChange, DirectoryHooks } from './hooks.js';

export const TEAM_SYNC_HOOKS: DirectoryHooks = {
  ignores: new Set(['users_created', 'groups_created']),
  unmappedMemberChangesOnlyRecordEvents: true,
  userUpdatesOnlyAnnounceAndTouch: true,
  afterChange(repos: Repositories, orgId: string, change: DirectoryChange): Promise<void> {
    const work = (): Promise<void> => timed(accessRecompute, change.kind, () => bringInStep(repos, orgId, change));
    if (!tracingEnabled()) return work();
    return inSpan('access.recompute', { [ATTR.orgId]: orgId, 'access.change': change.kind }, work);
  },
};

async function bringInStep(repos: Repositories, orgId: string, change: DirectoryChange): Promise<void> {
  switch (change.kind) {
    case 'users_created':
    case 'groups_created':
      // A new user is in no group and in no instance's cache; a new group's members (if
      // any) follow as members_changed. Nothing to bring in step yet.
      return;
    case 'users_upserted':
    case 'users_deleted':
      // A user's own attributes do not select teams; deleting cascades to their memberships.
      // Their active flag and userName do reach decisions: drop what instances cached.
      await repos.accessChanges.announce(orgId, change.userIds);
      repos.accessChanges.touch(orgId, change.accessUserIds ?? change.userIds);
      for (const user of change.kind === 'users_upserted' ? (change.deactivated ?? []) : []) {
        repos.accessChanges.deactivated(orgId, user);
      }
      return;
    case 'groups_upserted':
      // A rename or a new externalId may start or stop matching a mapping.
      for (const groupId of change.groupIds) {
        await repos.idpTeams.reconcile(orgId, { groupId });
        repos.accessChanges.touch(orgId, await repos.groups.memberIds(orgId, groupId));
      }
      await repos.accessChanges.announce(orgId, null);
      return;
    case 'group_deleted':
      await repos.idpTeams.reconcile(orgId, { userIds: change.formerMemberIds });
      await repos.accessChanges.announce(orgId, null);
      repos.accessChanges.touch(orgId, change.formerMemberIds);
      return;
    case 'members_changed': {
      repos.accessChanges.membersChanged({ orgId, ...change });
      if (!(await repos.idpTeams.groupIsMapped(orgId, change.groupId))) return;
      const userIds = [...change.added, ...change.removed];
      await repos.idpTeams.reconcile(orgId, { userIds });
      await repos.accessChanges.announce(orgId, userIds);
      repos.accessChanges.touch(orgId, userIds);
      return;
    }
  }
}

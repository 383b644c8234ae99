/**
 * The seam between the directory and the access model: every directory change calls the
 * hook inside its own transaction, so effective access is recomputed together with the
 * change (or not at all, if the change rolls back).
 */
import type { Repositories } from '../store/store.js';

export type DirectoryChange =
  | { readonly kind: 'users_created'; readonly userIds: readonly string[] }
  | {
      readonly kind: 'users_upserted';
      readonly userIds: readonly string[];
      /** Those whose change can reach their access (their active flag); absent: all of them. */
      readonly accessUserIds?: readonly string[];
      /** Those deactivated by the change (their access is the inactive state, whatever else holds). */
      readonly deactivated?: ReadonlyArray<{ readonly id: string; readonly userName: string }>;
    }
  | { readonly kind: 'users_deleted'; readonly userIds: readonly string[]; readonly accessUserIds?: undefined }
  | { readonly kind: 'groups_created'; readonly groupIds: readonly string[] }
  | { readonly kind: 'groups_upserted'; readonly groupIds: readonly string[] }
  | { readonly kind: 'group_deleted'; readonly groupId: string; readonly formerMemberIds: readonly string[] }
  | {
      readonly kind: 'members_changed';
      readonly groupId: string;
      readonly added: readonly string[];
      readonly removed: readonly string[];
      /** userNames the writer already knows (id → userName), so events need not look them up. */
      readonly names?: ReadonlyMap<string, string>;
    };

export interface DirectoryHooks {
  afterChange(repos: Repositories, orgId: string, change: DirectoryChange): Promise<void>;
  /** Kinds of change `afterChange` does nothing for: their writers may skip the call (and its transaction). */
  readonly ignores?: ReadonlySet<DirectoryChange['kind']>;
  /**
   * For `members_changed` of a group no mapping names, `afterChange` only records the
   * membership event: a writer may then make such a change in one statement that writes
   * that event itself (store/member-step-statement.ts), and call the hook only for mapped groups.
   */
  readonly unmappedMemberChangesOnlyRecordEvents?: boolean;
  /**
   * For `users_upserted`, `afterChange` only announces the users to the caches and touches
   * those whose active flag changed (their access history): a writer may then make a user's
   * update in one statement that does both itself (store/user-update-statement.ts).
   */
  readonly userUpdatesOnlyAnnounceAndTouch?: boolean;
}

export const NO_DIRECTORY_HOOKS: DirectoryHooks = { afterChange: () => Promise.resolve() };

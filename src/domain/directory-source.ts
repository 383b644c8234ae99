/**
 * A directory the service pulls from (Google Workspace's Directory API), as the directory
 * sync sees it: pages of users, pages of groups, and each group's members, already in the
 * directory's own words. The adapter that reads the provider's API implements it; the sync
 * compares what it yields with what the connection holds and applies the differences.
 */
import type { UserInput } from './directory.js';

/** A user as the source lists it; `externalId` is the source's stable id. */
export interface SourceUser {
  readonly externalId: string;
  readonly input: UserInput;
}

/** What planning a run needs of a user: who, under which name, whether active. */
export interface SourceUserState {
  readonly externalId: string;
  readonly userName: string;
  readonly active: boolean;
}

export interface SourceGroup {
  readonly externalId: string;
  readonly displayName: string;
  /**
   * False for a group outside the connection's group filter: it is synced only when a
   * synced group nests it (its members count for the outer group).
   */
  readonly included: boolean;
}

/** A member of a group: a user, a nested group, or everyone in the source's domain. */
export type SourceMember =
  | { readonly type: 'user'; readonly externalId: string }
  | { readonly type: 'group'; readonly externalId: string }
  | { readonly type: 'everyone' };

export interface DirectorySource {
  /** Every user in scope, a page at a time (never the whole directory at once). */
  users(): AsyncIterable<readonly SourceUser[]>;
  /** The same users, only who they are and whether they are active (a cheaper listing). */
  userStates(): AsyncIterable<readonly SourceUserState[]>;
  groups(): AsyncIterable<readonly SourceGroup[]>;
  members(groupExternalId: string): AsyncIterable<readonly SourceMember[]>;
  /** Asks the directory to notify `address` of user changes for a while (a channel carrying `token`). */
  watchUsers(channel: {
    readonly id: string;
    readonly address: string;
    readonly token: string;
    readonly ttlSeconds: number;
  }): Promise<{ readonly resourceId: string; readonly expiresAt: string }>;
  /** Ends a channel watchUsers opened. */
  stopWatch(channel: { readonly id: string; readonly resourceId: string }): Promise<void>;
}

/** The extension key under which a user's source-specific facts are kept (for later mapping rules). */
export const GOOGLE_EXTENSION = 'urn:identity-bridge:google';

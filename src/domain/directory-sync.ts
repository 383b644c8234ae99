/**
 * Directory sync: the words and defaults. A connection's people come from one source:
 * `scim` (the identity provider pushes them) or `google` (the service pulls Google
 * Workspace's Directory API on a schedule). A run compares the directory with what the
 * connection holds and applies only the differences; a guard holds a run that would
 * deprovision too many people until an admin approves it.
 */
export const DIRECTORY_SOURCES = ['scim', 'google'] as const;
export type DirectorySourceKind = (typeof DIRECTORY_SOURCES)[number];

/** Sealed secrets: opened only to sign in to Google. */
export type StoredGoogleCredentials =
  | {
      readonly kind: 'service_account';
      readonly clientEmail: string;
      readonly privateKeySealed: string;
      readonly privateKeyId: string | null;
      /** The admin the service account acts as (domain-wide delegation). */
      readonly subject: string;
    }
  | {
      readonly kind: 'oauth';
      readonly clientId: string;
      readonly clientSecretSealed: string;
      readonly refreshTokenSealed: string;
    };

export interface SyncGuard {
  /** Deprovisioning more than this share of the connection's users holds the run. */
  readonly percent: number;
  /** ... and never fewer than this many. */
  readonly minimum: number;
}

export interface GoogleSyncSettings {
  readonly credentials: StoredGoogleCredentials;
  readonly customer: string;
  readonly orgUnits: readonly string[];
  readonly groups: readonly string[];
  readonly intervalMinutes: number;
  /** Days a user stays deactivated after leaving the directory, before being deleted. */
  readonly deleteAfterDays: number;
  readonly guard: SyncGuard;
  /** Google's change notifications for users (users.watch) start a run early; needs PUBLIC_URL on https. */
  readonly watch?: boolean;
}

/** A users.watch channel as stored: Google sends its token back with every notification. */
export interface WatchChannel {
  readonly id: string;
  readonly resourceId: string;
  readonly tokenHash: string;
  readonly expiresAt: string;
}

export const SYNC_DEFAULTS = {
  customer: 'my_customer',
  intervalMinutes: 15,
  deleteAfterDays: 30,
  guard: { percent: 10, minimum: 5 },
} as const;

/** How many deprovisionings a run may apply without an approval. */
export function guardLimit(guard: SyncGuard, connectionUsers: number): number {
  return Math.max(guard.minimum, Math.floor((connectionUsers * guard.percent) / 100));
}

/** The next run of a connection whose held run waits for an admin to approve or discard it. */
export const AWAITING_DECISION = '9999-12-31T00:00:00.000Z';

export type SyncTrigger = 'schedule' | 'manual' | 'approval' | 'watch';
export type SyncStatus = 'running' | 'succeeded' | 'failed' | 'held' | 'approved' | 'discarded';

export interface SyncCounts {
  usersCreated: number;
  usersUpdated: number;
  usersDeactivated: number;
  usersReactivated: number;
  usersDeleted: number;
  groupsCreated: number;
  groupsUpdated: number;
  groupsDeleted: number;
  membershipsAdded: number;
  membershipsRemoved: number;
  /** Users the directory refused (a value too long, a userName another connection holds). */
  usersSkipped: number;
}

export function emptyCounts(): SyncCounts {
  return {
    usersCreated: 0,
    usersUpdated: 0,
    usersDeactivated: 0,
    usersReactivated: 0,
    usersDeleted: 0,
    groupsCreated: 0,
    groupsUpdated: 0,
    groupsDeleted: 0,
    membershipsAdded: 0,
    membershipsRemoved: 0,
    usersSkipped: 0,
  };
}

/** What a held run would have done to people, for the admin to approve or discard. */
export interface HeldDeprovisioning {
  readonly total: number;
  readonly limit: number;
  /** The first of them (the banner lists these). */
  readonly users: ReadonlyArray<{
    readonly id: string;
    readonly userName: string;
    readonly action: 'deactivate' | 'delete';
  }>;
}

export interface SyncRun {
  readonly id: string;
  readonly orgId: string;
  readonly connectionId: string;
  readonly trigger: SyncTrigger;
  readonly status: SyncStatus;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly counts: SyncCounts | null;
  readonly errorCode: string | null;
  readonly errorMessage: string | null;
  readonly held: HeldDeprovisioning | null;
}

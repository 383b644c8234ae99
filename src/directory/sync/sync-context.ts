/** What every part of a directory sync run shares: the connection, the services it writes through, its counts. */
import type { Actor } from '../../domain/actor.js';
import type { DirectorySource } from '../../domain/directory-source.js';
import type { SyncCounts } from '../../domain/directory-sync.js';
import type { Store } from '../../store/store.js';
import type { GroupDirectory } from '../group-directory.js';
import type { ConnectionScope } from '../scope.js';
import type { UserDirectory } from '../user-directory.js';

export type SyncPhase = 'planning' | 'deprovisioning' | 'users' | 'groups' | 'members' | 'memberships';

export interface SyncProgress {
  readonly phase: SyncPhase;
  /** Items of the phase handled so far (users, groups). */
  readonly done: number;
}

export interface SyncContext {
  readonly store: Store;
  readonly users: UserDirectory;
  readonly groups: GroupDirectory;
  readonly source: DirectorySource;
  readonly scope: ConnectionScope;
  readonly actor: Actor;
  readonly deleteAfterDays: number;
  readonly counts: SyncCounts;
  /** Users the directory refused, in words (the first few are kept on the run). */
  readonly refusals: string[];
  /** Between pages: keeps the run's lease, reports progress; throws when the lease is lost. */
  step(progress: SyncProgress): Promise<void>;
}

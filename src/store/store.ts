/**
 * The repositories, bound either to the database or to one transaction, and the read
 * models (what the console and the sign-in pages show, assembled from several tables).
 * Services run a change and its audit event in one `store.transaction(...)`.
 */
import { announceAccessChange } from './access-change-feed.js';
import { AccessFactsRepository } from './repositories/access-facts.js';
import { AccessHistoryRepository } from './repositories/access-history.js';
import { EventRepository } from './repositories/events.js';
import { WebhookRepository } from './repositories/webhooks.js';
import { IdpTeamMembershipRepository } from './repositories/idp-team-memberships.js';
import type { Knex } from 'knex';
import { AuditEventRepository } from './repositories/audit-events.js';
import { ConnectionRepository } from './repositories/connections.js';
import { ConsoleAccessRepository } from './repositories/console-access.js';
import { RateLimitRepository } from './repositories/rate-limits.js';
import { AdminTokenRepository, ScimTokenRepository } from './repositories/credentials.js';
import { DirectoryGroupRepository } from './repositories/directory-groups.js';
import { DirectoryUserRepository } from './repositories/directory-users.js';
import { DirectorySyncRepository } from './repositories/directory-sync.js';
import { GroupMappingRepository } from './repositories/group-mappings.js';
import { InstanceSecretRepository, SigningKeyRepository } from './repositories/instance-keys.js';
import { OrganizationRepository } from './repositories/organizations.js';
import { OrgPolicyRepository } from './repositories/org-policies.js';
import { SessionRepository } from './repositories/sessions.js';
import { SamlReplayRepository, SsoRequestRepository } from './repositories/sso-state.js';
import { TeamRepository } from './repositories/teams.js';
import { ConnectionStatusReadModel } from './read-models/connection-status.js';
import { DirectoryBrowseReadModel } from './read-models/directory-browse.js';
import type { DirectoryUser } from '../domain/directory.js';
import type { OutboxEvent } from '../events/event-catalog.js';
import { dialectOf, migrationStatus } from './database.js';
import { insertAsOneStatement } from './one-statement.js';
import type { BatchTurn } from './batch-turn.js';
import { memberStepTurn } from './member-step-batch.js';
import type { MemberStepOutcome, MemberStepRequest } from './member-step-statement.js';
import { userForUpdateTurn, type UserKey } from './user-for-update-read.js';
import { userCreateTurn, type UserCreate } from './user-create-batch.js';
import { userUpdateTurn } from './user-update-batch.js';
import { type AccessChangeWrite, type UserForUpdate, type UserUpdateWrite } from './user-update-statement.js';
import type { AuditEvent } from './repositories/audit-events.js';
import { asUserConflict, newUserRow, valueRows, valuesDiffer } from './repositories/directory-user-rows.js';
import { insertRows } from './direct-statement.js';
import { committing, isLostInFlight } from './commit-outcome.js';
import { OutcomeUnknownError } from '../domain/errors/index.js';
import { refreshPlannerStatistics, startPlannerStatistics, type StatisticsLog } from './planner-statistics.js';
import { instrumentDatabase } from './query-telemetry.js';
import { scansFor, type Scans } from './scans.js';
import { TransactionChanges, type MembershipChange } from './transaction-changes.js';

export interface Repositories {
  readonly organizations: OrganizationRepository;
  readonly connections: ConnectionRepository;
  readonly scimTokens: ScimTokenRepository;
  readonly adminTokens: AdminTokenRepository;
  readonly users: DirectoryUserRepository;
  readonly groups: DirectoryGroupRepository;
  readonly teams: TeamRepository;
  readonly idpTeams: IdpTeamMembershipRepository;
  readonly accessFacts: AccessFactsRepository;
  readonly accessChanges: AccessChanges;
  readonly mappings: GroupMappingRepository;
  readonly policies: OrgPolicyRepository;
  readonly sessions: SessionRepository;
  readonly ssoRequests: SsoRequestRepository;
  readonly samlReplay: SamlReplayRepository;
  readonly signingKeys: SigningKeyRepository;
  readonly instanceSecrets: InstanceSecretRepository;
  readonly audit: AuditEventRepository;
  readonly consoleAccess: ConsoleAccessRepository;
  readonly rateLimits: RateLimitRepository;
  readonly directorySync: DirectorySyncRepository;
  readonly accessHistory: AccessHistoryRepository;
  readonly events: EventRepository;
  readonly webhooks: WebhookRepository;
}

/**
 * Where a write says whose access it may have changed: `announce` tells every instance's
 * caches (at commit); `touch` has the transaction record the users' access history before
 * it commits (`deactivated`: knowing their access is the inactive state); `membersChanged`
 * records a membership change for the event outbox.
 */
export interface AccessChanges {
  announce(orgId: string, userIds: readonly string[] | null): Promise<void>;
  touch(orgId: string, userIds: readonly string[] | null): void;
  deactivated(orgId: string, user: { readonly id: string; readonly userName: string }): void;
  membersChanged(change: MembershipChange): void;
}

/** What a transaction records just before it commits, with what it changed (installed by the services). */
export interface BeforeCommit {
  /** The outbox events of its writes: written with its audit events. */
  events(repos: Repositories, changes: TransactionChanges): Promise<OutboxEvent[]>;
  /** Then the access history of the users it touched (and its events). */
  record(repos: Repositories, changes: TransactionChanges): Promise<void>;
}

export function createRepositories(db: Knex, scans: Scans, changes?: TransactionChanges): Repositories {
  return {
    organizations: new OrganizationRepository(db),
    connections: new ConnectionRepository(db),
    scimTokens: new ScimTokenRepository(db),
    adminTokens: new AdminTokenRepository(db),
    users: new DirectoryUserRepository(db, scans),
    groups: new DirectoryGroupRepository(db, scans),
    teams: new TeamRepository(db),
    idpTeams: new IdpTeamMembershipRepository(db),
    accessFacts: new AccessFactsRepository(db, changes),
    accessChanges: {
      announce: (orgId, userIds) => announceAccessChange(db, orgId, userIds),
      touch: (orgId, userIds) => changes?.touch(orgId, userIds),
      deactivated: (orgId, user) => changes?.deactivated(orgId, user),
      membersChanged: (change) => changes?.membersChanged(change),
    },
    mappings: new GroupMappingRepository(db),
    policies: new OrgPolicyRepository(db),
    sessions: new SessionRepository(db),
    ssoRequests: new SsoRequestRepository(db),
    samlReplay: new SamlReplayRepository(db),
    signingKeys: new SigningKeyRepository(db),
    instanceSecrets: new InstanceSecretRepository(db),
    audit: new AuditEventRepository(db, changes),
    consoleAccess: new ConsoleAccessRepository(db),
    rateLimits: new RateLimitRepository(db),
    directorySync: new DirectorySyncRepository(db),
    accessHistory: new AccessHistoryRepository(db),
    events: new EventRepository(db),
    webhooks: new WebhookRepository(db),
  };
}

export interface ReadModels {
  readonly directory: DirectoryBrowseReadModel;
  readonly connectionStatus: ConnectionStatusReadModel;
}

function createReadModels(db: Knex, repos: Repositories): ReadModels {
  const directory = new DirectoryBrowseReadModel(db, repos);
  return { directory, connectionStatus: new ConnectionStatusReadModel(repos, directory) };
}

/** A new user's multi-valued attribute rows written in its one statement by `insertRows` (more: through Knex, in parts). */
const MAX_VALUES_AT_ONCE = 200;

/** Outbox events written with the audit rows in one statement; more than this go on their own. */
const EVENTS_WITH_AUDIT = 100;

/** A transaction's audit events not written yet and its outbox events: one statement on PostgreSQL. */
async function writeAuditAndEvents(
  db: Knex,
  repos: Repositories,
  audit: readonly AuditEvent[],
  events: readonly OutboxEvent[],
): Promise<void> {
  const inserts: Knex.QueryBuilder[] = [];
  if (audit.length) inserts.push(repos.audit.insertQuery(audit));
  if (events.length && events.length <= EVENTS_WITH_AUDIT) inserts.push(repos.events.insertQuery(events));
  if (inserts.length) await insertAsOneStatement(db, inserts);
  if (events.length > EVENTS_WITH_AUDIT) await repos.events.insertMany(events);
}

export class Store {
  readonly repos: Repositories;
  readonly readModels: ReadModels;
  /** Turns (and, on SQLite, reader threads) for searches that read a whole connection. */
  readonly scans: Scans;

  constructor(
    readonly db: Knex,
    options: { statementTimeoutMs?: number | undefined } = {},
  ) {
    this.scans = scansFor(db, options.statementTimeoutMs);
    this.repos = createRepositories(db, this.scans);
    this.readModels = createReadModels(db, this.repos);
    this.memberSteps = memberStepTurn(db);
    this.userReads = userForUpdateTurn(db);
    this.userGets = userForUpdateTurn(db, 2);
    this.userWrites = userUpdateTurn(db);
    this.userCreates = userCreateTurn(db, (create) => this.insertUserStatement(create));
  }

  /** Records access history and events of each transaction (installed by the services). */
  beforeCommit: BeforeCommit | undefined;
  /** The outbox event of an audit event written outside `transaction` (installed with the events). */
  outboxOfAudit: ((event: AuditEvent) => OutboxEvent | undefined) | undefined;
  /** A new outbox event's id and the actor it names, for a change audited by `audit` (installed with the events). */
  outboxIdentity: ((audit: AuditEvent) => { id: string; actor: Record<string, unknown> }) | undefined;

  /**
   * What deactivating one user records in its access history, given its recorded state
   * (installed with the history): the state, the change and its `access.changed` event.
   */
  recordDeactivation:
    | ((
        user: { readonly id: string; readonly userName: string },
        before: string | undefined,
        audit: AuditEvent,
      ) => { after: string; change?: AccessChangeWrite; event?: OutboxEvent } | undefined)
    | undefined;

  /** Whether a user's update can be one read and one guarded write (`readUserForUpdate`, `writeUserUpdate`): PostgreSQL. */
  get oneStatementUserUpdates(): boolean {
    return dialectOf(this.db) === 'pg';
  }

  /** The connection's user with values, groups and recorded access state, for `writeUserUpdate`. */
  readUserForUpdate(orgId: string, connectionId: string, id: string): Promise<UserForUpdate | undefined> {
    return this.userReads.run({ orgId, connectionId, id });
  }

  /** Reads for updates, read together when they arrive faster than one is read (user-for-update-read.ts). */
  private readonly userReads: BatchTurn<UserKey, UserForUpdate | undefined>;

  /** The connection's user with values and groups (`GET /Users/{id}`): what `readUserForUpdate` reads, in a turn of its own. */
  readUser(orgId: string, connectionId: string, id: string): Promise<UserForUpdate | undefined> {
    return this.userGets.run({ orgId, connectionId, id });
  }

  private readonly userGets: BatchTurn<UserKey, UserForUpdate | undefined>;

  /**
   * A user's update (not a reactivation) in one guarded statement, with its audit and outbox
   * events, the sessions a deactivation ends, its access history and the announcement
   * (user-update-statement.ts). False when the user moved since `read`: nothing was written.
   */
  async writeUserUpdate(w: {
    readonly read: UserForUpdate;
    readonly next: DirectoryUser;
    readonly audit: AuditEvent;
    readonly deactivated: boolean;
    readonly at: string;
  }): Promise<boolean> {
    const events: OutboxEvent[] = [];
    const own = this.outboxOfAudit?.(w.audit);
    if (own) events.push(own);
    let access: UserUpdateWrite['access'];
    if (w.deactivated && w.read.historyStarted) {
      if (!this.recordDeactivation) return false;
      const recorded = this.recordDeactivation(w.next, w.read.accessState, w.audit);
      if (recorded) {
        access = {
          before: w.read.accessState,
          after: recorded.after,
          ...(recorded.change ? { change: recorded.change } : {}),
        };
        if (recorded.event) events.push(recorded.event);
      }
    }
    try {
      return await committing(() =>
        this.userWrites.run({
          next: w.next,
          readVersion: w.read.user.version,
          valuesChanged: valuesDiffer(w.read.user, w.next),
          revokeSessions: w.deactivated,
          audit: w.audit,
          events,
          ...(access ? { access } : {}),
          at: w.at,
        }),
      );
    } catch (error) {
      throw asUserConflict(error, w.next);
    }
  }

  /** Users' guarded writes, together when they arrive faster than one at a time (user-update-batch.ts). */
  private readonly userWrites: BatchTurn<UserUpdateWrite, boolean>;

  /** Membership steps written together when they arrive faster than one at a time (member-step-batch.ts). */
  private readonly memberSteps: BatchTurn<MemberStepRequest, MemberStepOutcome | undefined>;

  /** Whether `applyMemberStep` can write a membership step in one statement (PostgreSQL). */
  get oneStatementMemberSteps(): boolean {
    return dialectOf(this.db) === 'pg';
  }

  /**
   * One membership step of a group no mapping names, with its audit and outbox events, in
   * one statement (member-step-statement.ts), shared with the steps of other groups that
   * arrive meanwhile (member-step-batch.ts); a mapped group is left untouched (`mapped`).
   */
  applyMemberStep(request: Omit<MemberStepRequest, 'event'>): Promise<MemberStepOutcome | undefined> {
    return committing(() => this.memberSteps.run({ ...request, event: this.outboxIdentity?.(request.audit) }));
  }

  /**
   * Runs `work` in one transaction; everything it wrote is rolled back if it throws. What
   * it changed is recorded (`beforeCommit`) in the same transaction, after `work`. A
   * connection lost while the COMMIT was in flight is an OutcomeUnknownError (commit-outcome.ts).
   */
  async transaction<T>(work: (repos: Repositories) => Promise<T>): Promise<T> {
    let commitSent = false;
    try {
      return await this.db.transaction(async (trx) => {
        const changes = new TransactionChanges();
        const repos = createRepositories(trx, this.scans, changes);
        const result = await work(repos);
        const recording = this.beforeCommit && !changes.empty ? this.beforeCommit : undefined;
        const events = recording ? await recording.events(repos, changes) : [];
        await writeAuditAndEvents(trx, repos, changes.unwrittenAudit, events);
        if (recording && changes.touched.size > 0) await recording.record(repos, changes);
        commitSent = true; // Knex sends COMMIT once this returns
        return result;
      });
    } catch (error) {
      // Lost before COMMIT: rolled back. Lost during it: perhaps committed (commit-outcome.ts).
      throw commitSent && isLostInFlight(error) ? new OutcomeUnknownError(error) : error;
    }
  }

  /**
   * A new user with its multi-valued attributes and its audit event: one statement on
   * PostgreSQL, shared with the creates that arrive meanwhile (user-create-batch.ts); one
   * transaction on SQLite. A taken userName or externalId is a ConflictError.
   */
  async insertUserWithAudit(user: DirectoryUser, event: AuditEvent): Promise<void> {
    if (dialectOf(this.db) !== 'pg') {
      await this.transaction(async (repos) => {
        await repos.users.insert(user);
        await repos.audit.append(event);
      });
      return;
    }
    try {
      await committing(() => this.userCreates.run({ user, audit: event, event: this.outboxOfAudit?.(event) }));
    } catch (error) {
      throw asUserConflict(error, user);
    }
  }

  /** Creates written together when they arrive faster than one at a time (user-create-batch.ts). */
  private readonly userCreates: BatchTurn<UserCreate, void>;

  /** One new user's statement (insertUserWithAudit), when no other create is being written. */
  private async insertUserStatement({ user, audit: event, event: outbox }: UserCreate): Promise<void> {
    const values = valueRows(user);
    if (values.length <= MAX_VALUES_AT_ONCE) {
      await insertRows(this.db, [
        { table: 'directory_users', rows: [newUserRow(user)] },
        { table: 'directory_user_values', rows: values },
        { table: 'audit_events', rows: [this.repos.audit.row(event)] },
        { table: 'events', rows: outbox ? [this.repos.events.rowOf(outbox)] : [] },
      ]);
    } else {
      await insertAsOneStatement(this.db, [
        ...this.repos.users.insertStatements(user),
        this.repos.audit.insertQuery(event),
        ...(outbox ? [this.repos.events.insertQuery([outbox])] : []),
      ]);
    }
  }

  /** The migrations not applied yet; throws when the database does not answer (readiness). */
  async pendingMigrations(): Promise<string[]> {
    await this.db.raw('select 1');
    return (await migrationStatus(this.db)).pending;
  }

  /** Spans per statement and the pool's gauges, until the returned function is called. */
  instrument(): () => void {
    return instrumentDatabase(this.db);
  }

  /** On PostgreSQL, analyses the directory tables that changed much since their last analysis (after a bulk write). */
  async refreshStatistics(): Promise<void> {
    await refreshPlannerStatistics(this.db);
  }

  /** On PostgreSQL, analyses the directory tables as they grow (planner-statistics.ts), until stopped. */
  keepStatisticsFresh(log: StatisticsLog): () => void {
    return startPlannerStatistics(this.db, log);
  }

  /** Stops the reader threads and closes the connections. */
  async close(): Promise<void> {
    await this.scans.close();
    await this.db.destroy();
  }
}

/**
 * Directory sync runs: one connection at a time per fleet (a lease in the database,
 * renewed while the run lasts and expiring with a crashed instance), on a schedule or on
 * demand. A run plans who it would deprovision before writing anything; past the guard
 * (10% of the connection's users, at least 5, by default) it applies nothing and waits for
 * an admin to approve or discard it. Otherwise it deprovisions, provisions, then syncs the
 * groups and their memberships (user-pass.ts, group-pass.ts), all through the directory
 * services, so every change is validated, audited and recomputes access like a SCIM one.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { recordAudit } from '../../audit/audit-log.js';
import type { Actor } from '../../domain/actor.js';
import { nowIso } from '../../domain/clock.js';
import type { DirectorySource } from '../../domain/directory-source.js';
import {
  emptyCounts,
  AWAITING_DECISION,
  guardLimit,
  type GoogleSyncSettings,
  type HeldDeprovisioning,
  type SyncRun,
  type SyncTrigger,
} from '../../domain/directory-sync.js';
import {
  AppError,
  ConflictError,
  InvalidInputError,
  NotFoundError,
  UnauthenticatedError,
} from '../../domain/errors/index.js';
import { tokenMatches } from '../../domain/secret-token.js';
import type { Store } from '../../store/store.js';
import type { GroupDirectory } from '../group-directory.js';
import type { UserDirectory } from '../user-directory.js';
import { syncGroups } from './group-pass.js';
import type { SyncContext, SyncProgress } from './sync-context.js';
import { deprovision, deprovisionings, planUsers, provisionUsers } from './user-pass.js';
import { keepWatch } from './watch.js';

/** Opens a connection's settings into a source (the composition root knows the providers and the secret box). */
export type SourceFactory = (settings: GoogleSyncSettings) => DirectorySource;

export interface DirectorySyncOptions {
  /** How long a lease lasts without renewal; a crashed instance's run is taken over after it. */
  readonly leaseMs?: number;
  /** How many due connections one scheduler tick may start. */
  readonly batch?: number;
  /** Where Google posts a connection's change notifications; undefined without a public https URL. */
  readonly notificationAddress?: (connectionId: string) => string | undefined;
}

/** The service is shutting down: a run stops between pages (the next run completes its work). */
class Stopping extends AppError {
  constructor() {
    super('sync.stopped', 'The instance running this sync shut down; the next run completes the work', 503);
  }
}

/** The lease was lost (another instance took the connection over): the run stops. */
class LeaseLost extends AppError {
  constructor() {
    super('sync.lease_lost', 'Another instance took this sync over; this run stopped', 409);
  }
}

const MINUTE_MS = 60_000;

export class DirectorySync {
  /** Who holds a lease: this process. */
  readonly instanceId = `${hostname().slice(0, 32)}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly leaseMs: number;
  private stopping = false;

  constructor(
    private readonly store: Store,
    private readonly users: UserDirectory,
    private readonly groups: GroupDirectory,
    private readonly sourceFor: SourceFactory,
    private readonly options: DirectorySyncOptions = {},
  ) {
    this.leaseMs = options.leaseMs ?? 2 * MINUTE_MS;
  }

  /**
   * Runs the connection's sync now, on this instance; a ConflictError when a run already
   * holds it. Resolves to the run as recorded (succeeded, failed with the reason, or held).
   */
  async run(
    orgId: string,
    connectionId: string,
    trigger: SyncTrigger,
    onProgress?: (progress: SyncProgress) => void,
  ): Promise<SyncRun> {
    return (await this.start(orgId, connectionId, trigger, onProgress)).done;
  }

  /**
   * Starts the connection's sync on this instance: resolves once it holds the lease and the
   * run is recorded (a ConflictError when another run holds it), with the run's end to await.
   */
  async start(
    orgId: string,
    connectionId: string,
    trigger: SyncTrigger,
    onProgress?: (progress: SyncProgress) => void,
  ): Promise<{ readonly run: SyncRun; readonly done: Promise<SyncRun> }> {
    if (this.stopping) throw new Stopping();
    const repos = this.store.repos;
    const settings = await this.settings(orgId, connectionId);
    if (!(await repos.directorySync.schedule(orgId, connectionId))) {
      await repos.directorySync.scheduleAt(orgId, connectionId, nowIso());
    }
    // Each run holds the lease under its own name: a second run on this instance is refused too.
    const holder = `${this.instanceId}/${randomUUID().slice(0, 8)}`;
    const leased = await repos.directorySync.lease(connectionId, holder, nowIso(), this.leaseUntil());
    if (!leased) throw new ConflictError('sync.running', 'A sync of this connection is already running');
    const nextRunAt = (): string => new Date(Date.now() + settings.intervalMinutes * MINUTE_MS).toISOString();
    let run: SyncRun;
    try {
      await repos.directorySync.abandonRunning(orgId, connectionId, nowIso());
      run = {
        id: randomUUID(),
        orgId,
        connectionId,
        trigger,
        status: 'running',
        startedAt: nowIso(),
        finishedAt: null,
        counts: null,
        errorCode: null,
        errorMessage: null,
        held: null,
      };
      await repos.directorySync.insertRun(run);
    } catch (error) {
      await repos.directorySync.release(connectionId, holder, nextRunAt()).catch(() => undefined);
      throw error;
    }
    const done = this.carryOut(run, holder, settings, onProgress).then(
      async (outcome) => {
        // A held run waits for an admin: no scheduled run until they approve or discard it.
        await repos.directorySync.release(
          connectionId,
          holder,
          outcome.status === 'held' ? AWAITING_DECISION : nextRunAt(),
        );
        return outcome;
      },
      async (error: unknown) => {
        await repos.directorySync.release(connectionId, holder, nextRunAt()).catch(() => undefined);
        throw error;
      },
    );
    return { run, done };
  }

  /** The run itself, under a lease renewed while it lasts; a failure is recorded on the run. */
  private async carryOut(
    run: SyncRun,
    holder: string,
    settings: GoogleSyncSettings,
    onProgress?: (progress: SyncProgress) => void,
  ): Promise<SyncRun> {
    const repos = this.store.repos;
    const { orgId, connectionId } = run;
    let lost = false;
    const renewal = setInterval(() => {
      repos.directorySync.lease(connectionId, holder, nowIso(), this.leaseUntil()).then(
        (held) => {
          if (!held) lost = true;
        },
        () => undefined, // the database is away: the run's own writes fail and end it
      );
    }, this.leaseMs / 4);
    renewal.unref();
    const actor: Actor = {
      type: 'sync',
      id: run.id,
      label: 'directory sync',
      requestId: run.id,
      operation: 'directory sync run',
      connectionId,
    };
    const ctx: SyncContext = {
      store: this.store,
      users: this.users,
      groups: this.groups,
      source: this.sourceFor(settings),
      scope: { orgId, connectionId },
      actor,
      deleteAfterDays: settings.deleteAfterDays,
      counts: emptyCounts(),
      refusals: [],
      step: async (progress) => {
        if (lost) throw new LeaseLost();
        if (this.stopping) throw new Stopping();
        onProgress?.(progress);
      },
    };
    try {
      return await this.execute(ctx, run, settings);
    } catch (error) {
      const app = error instanceof AppError ? error : undefined;
      const failed = {
        status: 'failed' as const,
        finishedAt: nowIso(),
        counts: ctx.counts,
        errorCode: app?.code ?? 'sync.failed',
        errorMessage: app?.expose ? app.message : 'The run failed unexpectedly; the server log has the details',
      };
      await repos.directorySync.finishRun(orgId, run.id, failed);
      await recordAudit(repos, orgId, actor, {
        action: 'directory_sync.failed',
        target: { type: 'connection', id: connectionId },
        data: { run: run.id, error: failed.errorCode, ...ctx.counts },
      });
      if (!app) throw error;
      return { ...run, ...failed };
    } finally {
      clearInterval(renewal);
    }
  }

  /** Runs in progress on this instance stop at their next page; new ones are refused. */
  stop(): void {
    this.stopping = true;
  }

  /** One scheduler tick: runs the connections that are due and that no other instance holds. */
  async runDue(onError: (error: unknown, connectionId: string) => void): Promise<number> {
    const due = await this.store.repos.directorySync.due(nowIso(), this.options.batch ?? 5);
    let ran = 0;
    for (const { orgId, connectionId, trigger } of due) {
      try {
        await this.run(orgId, connectionId, trigger);
        ran++;
      } catch (error) {
        if (!(error instanceof ConflictError)) onError(error, connectionId);
      }
    }
    return ran;
  }

  /**
   * A change notification from Google for a connection: with the channel's id and token it
   * makes the next run due now (the first, `sync`, only says the channel works). Anything
   * else is refused alike, whether the connection, the channel or the token is wrong.
   */
  async notified(
    connectionId: string,
    notice: { readonly channelId: string; readonly token: string; readonly state: string },
  ): Promise<'ignored' | 'due'> {
    const channel = await this.store.repos.directorySync.watchChannel(connectionId);
    if (!channel || channel.id !== notice.channelId || !tokenMatches(notice.token, channel.tokenHash)) {
      throw new UnauthenticatedError(
        'This notification channel is not one this service opened',
        'sync.unknown_channel',
      );
    }
    if (notice.state === 'sync') return 'ignored';
    await this.store.repos.directorySync.dueEarly(channel.orgId, connectionId, 'watch', nowIso());
    return 'due';
  }

  /** Lets the held run's deprovisionings through: the next run applies them (it starts now). */
  async approve(orgId: string, connectionId: string, actor: Actor): Promise<SyncRun> {
    const held = await this.held(orgId, connectionId);
    await this.store.transaction(async (repos) => {
      await repos.directorySync.setRunStatus(orgId, held.id, 'approved');
      await repos.directorySync.approve(orgId, connectionId, held.id, nowIso());
      await recordAudit(repos, orgId, actor, {
        action: 'directory_sync.approved',
        target: { type: 'connection', id: connectionId },
        data: { run: held.id, deprovisionings: held.held?.total ?? 0 },
      });
    });
    return { ...held, status: 'approved' };
  }

  /** Drops the held run: nothing of it is applied; the next scheduled run plans afresh. */
  async discard(orgId: string, connectionId: string, actor: Actor): Promise<SyncRun> {
    const held = await this.held(orgId, connectionId);
    const settings = await this.settings(orgId, connectionId);
    await this.store.transaction(async (repos) => {
      await repos.directorySync.setRunStatus(orgId, held.id, 'discarded');
      await repos.directorySync.approve(
        orgId,
        connectionId,
        null,
        new Date(Date.now() + settings.intervalMinutes * MINUTE_MS).toISOString(),
      );
      await recordAudit(repos, orgId, actor, {
        action: 'directory_sync.discarded',
        target: { type: 'connection', id: connectionId },
        data: { run: held.id, deprovisionings: held.held?.total ?? 0 },
      });
    });
    return { ...held, status: 'discarded' };
  }

  private async execute(ctx: SyncContext, run: SyncRun, settings: GoogleSyncSettings): Promise<SyncRun> {
    const repos = this.store.repos;
    const { orgId, connectionId } = ctx.scope;
    const plan = await planUsers(ctx);
    const count = deprovisionings(plan);
    const limit = guardLimit(settings.guard, plan.connectionUsers);
    const schedule = await repos.directorySync.schedule(orgId, connectionId);
    const approvedRun = schedule?.approvedRunId
      ? await repos.directorySync.run(orgId, schedule.approvedRunId)
      : undefined;
    const approved = approvedRun?.held !== undefined && approvedRun.held !== null && approvedRun.held.total >= count;
    if (count > limit && !approved) {
      const held: HeldDeprovisioning = { total: count, limit, users: plan.named };
      const finished = { status: 'held' as const, finishedAt: nowIso(), counts: ctx.counts, held };
      await this.store.transaction(async (tx) => {
        for (const earlier of await tx.directorySync.runs(orgId, connectionId, 20)) {
          if (earlier.status === 'held' && earlier.id !== run.id)
            await tx.directorySync.setRunStatus(orgId, earlier.id, 'discarded');
        }
        await tx.directorySync.finishRun(orgId, run.id, finished);
        await recordAudit(tx, orgId, ctx.actor, {
          action: 'directory_sync.held',
          target: { type: 'connection', id: connectionId },
          data: { run: run.id, deprovisionings: count, limit, users: plan.named.slice(0, 20).map((u) => u.userName) },
        });
      });
      return { ...run, ...finished };
    }
    if (schedule?.approvedRunId) await repos.directorySync.approve(orgId, connectionId, null, nowIso());
    await deprovision(ctx, plan);
    const userIdOf = await provisionUsers(ctx, plan.sourceIds);
    plan.sourceIds.clear();
    // A first run grows the directory tables from nothing: the planner needs to know before the memberships.
    await this.store.refreshStatistics();
    await syncGroups(ctx, userIdOf);
    const watchProblem = await keepWatch(
      this.store,
      ctx.source,
      ctx.scope,
      settings.watch === true,
      this.options.notificationAddress?.(connectionId),
    );
    const finished = {
      status: 'succeeded' as const,
      finishedAt: nowIso(),
      counts: ctx.counts,
      ...(ctx.refusals.length
        ? {
            errorCode: 'sync.users_refused',
            errorMessage: `${ctx.counts.usersSkipped} user(s) were not synced: ${ctx.refusals.join('; ')}`,
          }
        : watchProblem
          ? { errorCode: 'sync.watch_refused', errorMessage: watchProblem }
          : {}),
    };
    await repos.directorySync.finishRun(orgId, run.id, finished);
    await recordAudit(repos, orgId, ctx.actor, {
      action: 'directory_sync.completed',
      target: { type: 'connection', id: connectionId },
      data: { run: run.id, ...ctx.counts },
    });
    return { ...run, ...finished, errorCode: finished.errorCode ?? null, errorMessage: finished.errorMessage ?? null };
  }

  private async settings(orgId: string, connectionId: string): Promise<GoogleSyncSettings> {
    const source = await this.store.repos.directorySync.source(orgId, connectionId);
    if (!source) throw new NotFoundError('connection', connectionId);
    if (source.source !== 'google' || !source.google) {
      throw new InvalidInputError(
        'sync.not_configured',
        'This connection takes its people from SCIM; set up the Google directory sync first',
      );
    }
    return source.google;
  }

  private async held(orgId: string, connectionId: string): Promise<SyncRun> {
    const held = (await this.store.repos.directorySync.runs(orgId, connectionId, 20)).find((r) => r.status === 'held');
    if (!held) throw new NotFoundError('held_sync', connectionId, 'sync.nothing_held');
    return held;
  }

  private leaseUntil(): string {
    return new Date(Date.now() + this.leaseMs).toISOString();
  }
}

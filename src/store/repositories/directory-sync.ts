/**
 * Directory sync's state: a connection's source and sync settings (on its row), the lease
 * that lets one instance run a connection's sync at a time and says when the next run is
 * due, and the runs with their counts, errors and held deprovisionings. The lease lives in
 * the database, so it holds across instances and expires with a crashed one.
 */
import type { Knex } from 'knex';
import type {
  DirectorySourceKind,
  GoogleSyncSettings,
  HeldDeprovisioning,
  SyncCounts,
  SyncRun,
  SyncStatus,
  SyncTrigger,
  WatchChannel,
} from '../../domain/directory-sync.js';
import { AWAITING_DECISION } from '../../domain/directory-sync.js';
import { fromJson, toIso, toIsoOrNull, toJson } from '../rows.js';

type Row = Record<string, unknown>;

function toRun(r: Row): SyncRun {
  return {
    id: r.id as string,
    orgId: r.org_id as string,
    connectionId: r.connection_id as string,
    trigger: r.trigger as SyncTrigger,
    status: r.status as SyncStatus,
    startedAt: toIso(r.started_at),
    finishedAt: toIsoOrNull(r.finished_at),
    counts: fromJson<SyncCounts>(r.counts),
    errorCode: (r.error_code as string | null) ?? null,
    errorMessage: (r.error_message as string | null) ?? null,
    held: fromJson<HeldDeprovisioning>(r.held),
  };
}

export interface SyncSchedule {
  readonly orgId: string;
  readonly connectionId: string;
  readonly nextRunAt: string | null;
  readonly leaseOwner: string | null;
  readonly leaseUntil: string | null;
  readonly approvedRunId: string | null;
}

export class DirectorySyncRepository {
  constructor(private readonly db: Knex) {}

  async source(
    orgId: string,
    connectionId: string,
  ): Promise<{ source: DirectorySourceKind; google: GoogleSyncSettings | null } | undefined> {
    const row = (await this.db('connections')
      .where({ org_id: orgId, id: connectionId })
      .first('directory_source', 'sync_settings')) as Row | undefined;
    if (!row) return undefined;
    return {
      source: row.directory_source as DirectorySourceKind,
      google: fromJson<GoogleSyncSettings>(row.sync_settings),
    };
  }

  /** The connection's source (and, for a pull, its settings); false when the org has no such connection. */
  async setSource(
    orgId: string,
    connectionId: string,
    source: DirectorySourceKind,
    settings: GoogleSyncSettings | null,
    at: string,
  ): Promise<boolean> {
    return (
      (await this.db('connections')
        .where({ org_id: orgId, id: connectionId })
        .update({
          directory_source: source,
          sync_settings: toJson(settings),
          updated_at: at,
          version: this.db.raw('version + 1'),
        })) > 0
    );
  }

  /** The connections whose people come from SCIM pushes (their SCIM tokens are refused otherwise). */
  async sourceOf(connectionId: string): Promise<DirectorySourceKind | undefined> {
    const row = (await this.db('connections').where({ id: connectionId }).first('directory_source')) as Row | undefined;
    return row ? (row.directory_source as DirectorySourceKind) : undefined;
  }

  async schedule(orgId: string, connectionId: string): Promise<SyncSchedule | undefined> {
    const r = (await this.db('directory_sync_state').where({ org_id: orgId, connection_id: connectionId }).first()) as
      Row | undefined;
    return r
      ? {
          orgId: r.org_id as string,
          connectionId: r.connection_id as string,
          nextRunAt: toIsoOrNull(r.next_run_at),
          leaseOwner: (r.lease_owner as string | null) ?? null,
          leaseUntil: toIsoOrNull(r.lease_until),
          approvedRunId: (r.approved_run_id as string | null) ?? null,
        }
      : undefined;
  }

  /** Starts (or moves) the connection's schedule; removing the row stops it. */
  async scheduleAt(orgId: string, connectionId: string, nextRunAt: string): Promise<void> {
    await this.db('directory_sync_state')
      .insert({ connection_id: connectionId, org_id: orgId, next_run_at: nextRunAt })
      .onConflict('connection_id')
      .merge({ next_run_at: nextRunAt });
  }

  async unschedule(orgId: string, connectionId: string): Promise<void> {
    await this.db('directory_sync_state').where({ org_id: orgId, connection_id: connectionId }).delete();
  }

  /** Connections whose next run is due and that no live lease holds, oldest first, with why. */
  async due(now: string, limit: number): Promise<Array<{ orgId: string; connectionId: string; trigger: SyncTrigger }>> {
    const rows: Row[] = await this.db('directory_sync_state')
      .where('next_run_at', '<=', now)
      .andWhere((q) => q.whereNull('lease_until').orWhere('lease_until', '<', now))
      .orderBy('next_run_at')
      .limit(limit)
      .select('org_id', 'connection_id', 'due_trigger');
    return rows.map((r) => ({
      orgId: r.org_id as string,
      connectionId: r.connection_id as string,
      trigger: (r.due_trigger as SyncTrigger | null) ?? 'schedule',
    }));
  }

  /** Makes the next run due now for `trigger`, unless it is due sooner or waits for an approval. */
  async dueEarly(orgId: string, connectionId: string, trigger: SyncTrigger, now: string): Promise<boolean> {
    return (
      (await this.db('directory_sync_state')
        .where({ org_id: orgId, connection_id: connectionId })
        .andWhere('next_run_at', '>', now)
        .andWhere('next_run_at', '<', AWAITING_DECISION)
        .update({ next_run_at: now, due_trigger: trigger })) > 0
    );
  }

  /** The connection's notification channel, found by the connection alone (a notification names only that). */
  async watchChannel(connectionId: string): Promise<(WatchChannel & { orgId: string }) | undefined> {
    const r = (await this.db('directory_sync_state')
      .where({ connection_id: connectionId })
      .whereNotNull('watch_channel_id')
      .first('org_id', 'watch_channel_id', 'watch_resource_id', 'watch_token_hash', 'watch_expires_at')) as
      Row | undefined;
    return r
      ? {
          orgId: r.org_id as string,
          id: r.watch_channel_id as string,
          resourceId: r.watch_resource_id as string,
          tokenHash: r.watch_token_hash as string,
          expiresAt: toIso(r.watch_expires_at),
        }
      : undefined;
  }

  async setWatchChannel(orgId: string, connectionId: string, channel: WatchChannel | null): Promise<void> {
    await this.db('directory_sync_state')
      .where({ org_id: orgId, connection_id: connectionId })
      .update({
        watch_channel_id: channel?.id ?? null,
        watch_resource_id: channel?.resourceId ?? null,
        watch_token_hash: channel?.tokenHash ?? null,
        watch_expires_at: channel?.expiresAt ?? null,
      });
  }

  /**
   * Takes (or renews) the connection's lease until `until`: true when this owner holds it
   * now, false when another owner's lease is still live.
   */
  async lease(connectionId: string, owner: string, now: string, until: string): Promise<boolean> {
    const n = await this.db('directory_sync_state')
      .where({ connection_id: connectionId })
      .andWhere((q) => q.whereNull('lease_until').orWhere('lease_until', '<', now).orWhere('lease_owner', owner))
      .update({ lease_owner: owner, lease_until: until });
    return n > 0;
  }

  /** Gives the lease up and sets when the next run is due (only while this owner holds it). */
  async release(connectionId: string, owner: string, nextRunAt: string): Promise<void> {
    await this.db('directory_sync_state')
      .where({ connection_id: connectionId, lease_owner: owner })
      .update({ lease_owner: null, lease_until: null, next_run_at: nextRunAt, due_trigger: null });
  }

  async approve(orgId: string, connectionId: string, runId: string | null, nextRunAt: string): Promise<void> {
    await this.db('directory_sync_state')
      .where({ org_id: orgId, connection_id: connectionId })
      .update({ approved_run_id: runId, next_run_at: nextRunAt });
  }

  async insertRun(run: SyncRun): Promise<void> {
    await this.db('directory_sync_runs').insert({
      id: run.id,
      org_id: run.orgId,
      connection_id: run.connectionId,
      trigger: run.trigger,
      status: run.status,
      started_at: run.startedAt,
      finished_at: run.finishedAt,
      counts: toJson(run.counts),
      error_code: run.errorCode,
      error_message: run.errorMessage,
      held: toJson(run.held),
    });
  }

  async finishRun(
    orgId: string,
    id: string,
    outcome: {
      status: SyncStatus;
      finishedAt: string;
      counts: SyncCounts | null;
      errorCode?: string | null;
      errorMessage?: string | null;
      held?: HeldDeprovisioning | null;
    },
  ): Promise<void> {
    await this.db('directory_sync_runs')
      .where({ org_id: orgId, id })
      .update({
        status: outcome.status,
        finished_at: outcome.finishedAt,
        counts: toJson(outcome.counts),
        error_code: outcome.errorCode ?? null,
        error_message: outcome.errorMessage ?? null,
        held: toJson(outcome.held ?? null),
      });
  }

  async setRunStatus(orgId: string, id: string, status: SyncStatus): Promise<boolean> {
    return (await this.db('directory_sync_runs').where({ org_id: orgId, id }).update({ status })) > 0;
  }

  /** Runs an instance left `running` when it died: they ended, unfinished. */
  async abandonRunning(orgId: string, connectionId: string, at: string): Promise<number> {
    return this.db('directory_sync_runs')
      .where({ org_id: orgId, connection_id: connectionId, status: 'running' })
      .update({
        status: 'failed',
        finished_at: at,
        error_code: 'sync.interrupted',
        error_message:
          'The run stopped before it finished (the instance running it went away); the next run completes the work',
      });
  }

  async run(orgId: string, id: string): Promise<SyncRun | undefined> {
    const r = (await this.db('directory_sync_runs').where({ org_id: orgId, id }).first()) as Row | undefined;
    return r ? toRun(r) : undefined;
  }

  /** The connection's runs, newest first. */
  async runs(orgId: string, connectionId: string, limit: number): Promise<SyncRun[]> {
    const rows: Row[] = await this.db('directory_sync_runs')
      .where({ org_id: orgId, connection_id: connectionId })
      .orderBy([
        { column: 'started_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(limit);
    return rows.map(toRun);
  }
}

/**
 * Where a connection's people come from, as an admin sets it: SCIM pushes (the default), or
 * the Google Workspace directory sync with its credentials (a service account key and the
 * admin it acts as, or an admin's OAuth client and refresh token), filters, schedule,
 * grace period and guard. Secrets are sealed before they are stored and never returned;
 * the status an admin reads back says which credential is in use, not its secret.
 */
import { recordAudit } from '../audit/audit-log.js';
import type { Actor } from '../domain/actor.js';
import { nowIso } from '../domain/clock.js';
import {
  SYNC_DEFAULTS,
  type DirectorySourceKind,
  type GoogleSyncSettings,
  type StoredGoogleCredentials,
  type SyncRun,
  type WatchChannel,
} from '../domain/directory-sync.js';
import { InvalidInputError, NotFoundError } from '../domain/errors/index.js';
import { DIRECTORY_SCOPES, parseServiceAccountKey } from '../google/credentials.js';
import type { SyncSchedule } from '../store/repositories/directory-sync.js';
import type { Store } from '../store/store.js';
import type { SecretBox } from '../sso/secret-box.js';

export type SyncCredentialsInput =
  | { readonly serviceAccountKey: string; readonly subject: string }
  | { readonly clientId: string; readonly clientSecret: string; readonly refreshToken: string };

export interface GoogleSyncInput {
  readonly credentials?: SyncCredentialsInput;
  readonly customer?: string;
  readonly orgUnits?: readonly string[];
  readonly groups?: readonly string[];
  readonly intervalMinutes?: number;
  readonly deleteAfterDays?: number;
  readonly guardPercent?: number;
  readonly guardMinimum?: number;
  /** Start a run when Google reports a user change (users.watch); needs PUBLIC_URL on https. */
  readonly watch?: boolean;
}

/** The settings as an admin may read them back. */
export interface GoogleSyncView {
  readonly credentials:
    | { readonly kind: 'service_account'; readonly clientEmail: string; readonly subject: string }
    | { readonly kind: 'oauth'; readonly clientId: string };
  readonly customer: string;
  readonly orgUnits: readonly string[];
  readonly groups: readonly string[];
  readonly intervalMinutes: number;
  readonly deleteAfterDays: number;
  readonly guard: { readonly percent: number; readonly minimum: number };
  readonly watch: boolean;
}

export interface DirectorySyncStatus {
  readonly source: DirectorySourceKind;
  readonly google: GoogleSyncView | null;
  readonly nextRunAt: string | null;
  readonly running: boolean;
  readonly lastRun: SyncRun | null;
  /** A run the guard holds, waiting for an admin to approve or discard it. */
  readonly held: SyncRun | null;
  readonly runs: SyncRun[];
  /** Google's change notifications: the channel's end, when one is open. */
  readonly watching: { readonly until: string } | null;
  /** What domain-wide delegation (or the admin's consent) must grant: read-only scopes. */
  readonly scopes: readonly string[];
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function whole(value: number | undefined, fallback: number, min: number, max: number, what: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InvalidInputError('sync.invalid_setting', `${what} must be a whole number from ${min} to ${max}`);
  }
  return value;
}

function paths(list: readonly string[] | undefined, what: string): string[] {
  const out = (list ?? []).map((p) => p.trim()).filter(Boolean);
  if (out.length > 200) throw new InvalidInputError('sync.invalid_setting', `At most 200 ${what}`);
  return [...new Set(out)];
}

export class DirectorySyncSettingsService {
  constructor(
    private readonly store: Store,
    private readonly box: SecretBox,
    private readonly publicUrl: string,
    /** Ends a connection's change-notification channel at Google (best effort). */
    private readonly stopWatch: (settings: GoogleSyncSettings, channel: WatchChannel) => Promise<void> = async () => {},
  ) {}

  /**
   * Makes the connection take its people from the Google directory sync (its first run is
   * due at once), keeping stored credentials when none are given; or, with `scim`, from
   * SCIM pushes again (the schedule stops; what was synced stays).
   */
  async configure(
    orgId: string,
    connectionId: string,
    source: DirectorySourceKind,
    input: GoogleSyncInput,
    actor: Actor,
  ): Promise<DirectorySyncStatus> {
    const repos = this.store.repos;
    const connection = await repos.connections.get(orgId, connectionId);
    if (!connection) throw new NotFoundError('connection', connectionId);
    let settings: GoogleSyncSettings | null = null;
    if (source === 'google') {
      if (connection.kind !== 'google') {
        throw new InvalidInputError(
          'sync.not_google',
          'Only a Google Workspace connection can take its people from the Google directory sync',
        );
      }
      const stored = (await repos.directorySync.source(orgId, connectionId))?.google ?? null;
      const credentials = input.credentials ? this.sealed(input.credentials) : stored?.credentials;
      if (!credentials) {
        throw new InvalidInputError(
          'sync.credentials_required',
          'Give a service account key and the admin it acts as, or an OAuth client with a refresh token',
        );
      }
      const customer = input.customer?.trim() || stored?.customer || SYNC_DEFAULTS.customer;
      if (!/^[A-Za-z0-9_]{1,64}$/.test(customer)) {
        throw new InvalidInputError('sync.invalid_setting', 'The customer is my_customer or a Google customer id');
      }
      settings = {
        credentials,
        customer,
        orgUnits: paths(input.orgUnits ?? stored?.orgUnits, 'org units'),
        groups: paths(input.groups ?? stored?.groups, 'groups'),
        intervalMinutes: whole(
          input.intervalMinutes,
          stored?.intervalMinutes ?? SYNC_DEFAULTS.intervalMinutes,
          5,
          1440,
          'The interval (minutes)',
        ),
        deleteAfterDays: whole(
          input.deleteAfterDays,
          stored?.deleteAfterDays ?? SYNC_DEFAULTS.deleteAfterDays,
          0,
          3650,
          'The grace period (days)',
        ),
        guard: {
          percent: whole(
            input.guardPercent,
            stored?.guard.percent ?? SYNC_DEFAULTS.guard.percent,
            0,
            100,
            'The guard (percent)',
          ),
          minimum: whole(
            input.guardMinimum,
            stored?.guard.minimum ?? SYNC_DEFAULTS.guard.minimum,
            0,
            1_000_000,
            'The guard (minimum)',
          ),
        },
        watch: input.watch ?? stored?.watch ?? false,
      };
      if (settings.watch && !this.publicUrl.startsWith('https://')) {
        throw new InvalidInputError(
          'sync.watch_needs_https',
          `Google sends change notifications only to a public https address; PUBLIC_URL is ${this.publicUrl}`,
        );
      }
    } else if (source !== 'scim') {
      throw new InvalidInputError('sync.invalid_source', 'The source is scim or google');
    }
    // Back to SCIM: the notification channel ends now rather than at its expiry.
    const stored = source === 'scim' ? (await repos.directorySync.source(orgId, connectionId))?.google : undefined;
    const channel = stored ? await repos.directorySync.watchChannel(connectionId) : undefined;
    await this.store.transaction(async (tx) => {
      await tx.directorySync.setSource(orgId, connectionId, source, settings, nowIso());
      if (source === 'google') {
        if (!(await tx.directorySync.schedule(orgId, connectionId)))
          await tx.directorySync.scheduleAt(orgId, connectionId, nowIso());
      } else {
        await tx.directorySync.unschedule(orgId, connectionId);
      }
      await recordAudit(tx, orgId, actor, {
        action: 'connection.directory_source_set',
        target: { type: 'connection', id: connectionId },
        data: { source, ...(settings ? { settings: viewOf(settings) } : {}) },
      });
    });
    if (stored && channel) await this.stopWatch(stored, channel).catch(() => undefined);
    return this.status(orgId, connectionId);
  }

  async status(orgId: string, connectionId: string, runs = 10): Promise<DirectorySyncStatus> {
    const repos = this.store.repos;
    const source = await repos.directorySync.source(orgId, connectionId);
    if (!source) throw new NotFoundError('connection', connectionId);
    const [schedule, recent, channel] = await Promise.all([
      repos.directorySync.schedule(orgId, connectionId),
      repos.directorySync.runs(orgId, connectionId, runs),
      repos.directorySync.watchChannel(connectionId),
    ]);
    return {
      source: source.source,
      google: source.google ? viewOf(source.google) : null,
      nextRunAt: source.source === 'google' ? visibleNextRun(schedule) : null,
      running: schedule?.leaseUntil !== null && schedule?.leaseUntil !== undefined && schedule.leaseUntil > nowIso(),
      lastRun: recent.find((r) => r.status !== 'running') ?? null,
      held: recent.find((r) => r.status === 'held') ?? null,
      runs: recent,
      watching: channel && source.source === 'google' ? { until: channel.expiresAt } : null,
      scopes: [...DIRECTORY_SCOPES],
    };
  }

  private sealed(input: SyncCredentialsInput): StoredGoogleCredentials {
    if ('serviceAccountKey' in input) {
      const key = parseServiceAccountKey(input.serviceAccountKey);
      const subject = input.subject.trim();
      if (!EMAIL.test(subject)) {
        throw new InvalidInputError(
          'sync.invalid_subject',
          'Name the admin the service account acts as (an email address of the domain)',
        );
      }
      return {
        kind: 'service_account',
        clientEmail: key.clientEmail,
        privateKeySealed: this.box.seal(key.privateKey),
        privateKeyId: key.privateKeyId,
        subject,
      };
    }
    if (!input.clientId.trim() || !input.clientSecret || !input.refreshToken) {
      throw new InvalidInputError(
        'sync.credentials_required',
        'Give the OAuth client id, its secret and the refresh token',
      );
    }
    return {
      kind: 'oauth',
      clientId: input.clientId.trim(),
      clientSecretSealed: this.box.seal(input.clientSecret),
      refreshTokenSealed: this.box.seal(input.refreshToken),
    };
  }
}

export function viewOf(s: GoogleSyncSettings): GoogleSyncView {
  return {
    credentials:
      s.credentials.kind === 'service_account'
        ? { kind: 'service_account', clientEmail: s.credentials.clientEmail, subject: s.credentials.subject }
        : { kind: 'oauth', clientId: s.credentials.clientId },
    customer: s.customer,
    orgUnits: s.orgUnits,
    groups: s.groups,
    intervalMinutes: s.intervalMinutes,
    deleteAfterDays: s.deleteAfterDays,
    guard: s.guard,
    watch: s.watch === true,
  };
}

/** The next run as an admin reads it: none while a held run waits for them. */
function visibleNextRun(schedule: SyncSchedule | undefined): string | null {
  if (!schedule?.nextRunAt || schedule.nextRunAt.startsWith('9999')) return null;
  return schedule.nextRunAt;
}

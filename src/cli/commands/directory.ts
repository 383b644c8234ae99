/**
 * `directory source|status|sync`: where a connection's people come from (SCIM pushes, or the
 * Google Workspace directory sync), the sync's status, and runs on demand:
 * `directory sync --connection ID` runs one now (a progress line on a terminal, JSON lines
 * with --json); `directory sync approve|discard` decides on a run the guard holds.
 * Exit codes: 0 done, 1 the run failed, 3 the run is held for approval.
 */
import fs from 'node:fs';
import { Option } from 'commander';
import type { DirectorySyncStatus, SyncCredentialsInput } from '../../admin/directory-sync-settings.js';
import { CLI_ACTOR } from '../../domain/actor.js';
import type { SyncRun } from '../../domain/directory-sync.js';
import { CliFailure, type CliCommands } from '../context.js';
import { printResult, type CliIo } from '../io.js';
import { collect, jsonOption, type JsonOption } from '../options.js';

interface SourceOptions extends JsonOption {
  connection: string;
  scim?: boolean;
  google?: boolean;
  serviceAccountKey?: string;
  admin?: string;
  oauthClientId?: string;
  oauthClientSecret?: string;
  refreshToken?: string;
  customer?: string;
  orgUnit?: string[];
  group?: string[];
  interval?: string;
  deleteAfter?: string;
  guardPercent?: string;
  guardMinimum?: string;
  watch?: boolean;
}

function whole(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n)) throw new CliFailure(`${flag} takes a whole number`, 2);
  return n;
}

function credentialsOf(opts: SourceOptions): SyncCredentialsInput | undefined {
  if (opts.serviceAccountKey) {
    if (!opts.admin) throw new CliFailure('--service-account-key needs --admin (the admin the account acts as)', 2);
    let key: string;
    try {
      key = fs.readFileSync(opts.serviceAccountKey, 'utf8');
    } catch {
      throw new CliFailure(`cannot read ${opts.serviceAccountKey}`, 2);
    }
    return { serviceAccountKey: key, subject: opts.admin };
  }
  if (opts.oauthClientId || opts.oauthClientSecret || opts.refreshToken) {
    if (!opts.oauthClientId || !opts.oauthClientSecret || !opts.refreshToken) {
      throw new CliFailure('give --oauth-client-id, --oauth-client-secret and --refresh-token together', 2);
    }
    return { clientId: opts.oauthClientId, clientSecret: opts.oauthClientSecret, refreshToken: opts.refreshToken };
  }
  return undefined;
}

function describeStatus(s: DirectorySyncStatus): string {
  if (s.source === 'scim') return 'people come from SCIM pushes';
  const g = s.google!;
  const lines = [
    `people come from the Google directory sync (${g.credentials.kind === 'service_account' ? `${g.credentials.clientEmail} acting as ${g.credentials.subject}` : `OAuth client ${g.credentials.clientId}`})`,
    `every ${g.intervalMinutes} min; next run ${s.running ? 'now (running)' : (s.nextRunAt ?? 'after a decision on the held run')}`,
  ];
  if (g.watch) {
    lines.push(
      s.watching
        ? `Google's change notifications on, until ${s.watching.until}`
        : "Google's change notifications: from the next run",
    );
  }
  if (s.lastRun) lines.push(`last run: ${describeRun(s.lastRun)}`);
  if (s.held) lines.push(`HELD: ${describeRun(s.held)}`);
  return lines.join('\n');
}

function describeRun(run: SyncRun): string {
  const c = run.counts;
  const counts = c
    ? `${c.usersCreated} created, ${c.usersUpdated} updated, ${c.usersDeactivated} deactivated, ${c.usersReactivated} reactivated, ` +
      `${c.usersDeleted} deleted; groups ${c.groupsCreated} created, ${c.groupsUpdated} updated, ${c.groupsDeleted} deleted; ` +
      `memberships +${c.membershipsAdded} -${c.membershipsRemoved}`
    : '';
  const took =
    run.finishedAt !== null
      ? ` in ${((Date.parse(run.finishedAt) - Date.parse(run.startedAt)) / 1000).toFixed(1)} s`
      : '';
  if (run.status === 'held' && run.held) {
    return `held ${run.startedAt}: it would deprovision ${run.held.total} user(s), more than the guard's ${run.held.limit} (${run.held.users
      .slice(0, 10)
      .map((u) => `${u.action} ${u.userName}`)
      .join(', ')}${run.held.total > 10 ? ', …' : ''})`;
  }
  return `${run.status} ${run.startedAt}${took}${counts ? `: ${counts}` : ''}${run.errorMessage ? ` (${run.errorMessage})` : ''}`;
}

/** Prints the run's end and turns it into the exit code. */
function finish(io: CliIo, json: boolean | undefined, run: SyncRun, connectionId: string): void {
  if (json) io.stdout(`${JSON.stringify({ event: 'finished', ...run })}\n`);
  else io.stdout(`${describeRun(run)}\n`);
  if (run.status === 'failed') throw new CliFailure(run.errorMessage ?? 'the run failed', 1);
  if (run.status === 'held') {
    throw new CliFailure(
      `the run is held: approve it with \`identity-bridge directory sync approve --connection ${connectionId}\` or discard it`,
      3,
    );
  }
}

export const directoryCommands: CliCommands = (program, { io, withServices }) => {
  const directory = program
    .command('directory')
    .description("where a connection's people come from, and the Google directory sync");

  directory
    .command('source')
    .description("take a connection's people from SCIM pushes (--scim) or from the Google directory sync (--google)")
    .requiredOption('--connection <id>', 'connection id')
    .option('--scim', 'people come from SCIM pushes (the default)')
    .option('--google', "people come from Google Workspace's Directory API, pulled on a schedule")
    .option('--service-account-key <file>', "the service account's JSON key (domain-wide delegation)")
    .option('--admin <email>', 'the admin the service account acts as')
    .option('--oauth-client-id <id>', "instead of a service account: an OAuth client's id")
    .option('--oauth-client-secret <secret>', "the OAuth client's secret")
    .option('--refresh-token <token>', "an admin's refresh token for the directory's read-only scopes")
    .option('--customer <id>', 'Google customer id', 'my_customer')
    .option('--org-unit <path>', 'only users in this org unit and below (repeatable)', collect)
    .option('--group <email>', 'only this group and the groups it nests (repeatable)', collect)
    .option('--interval <minutes>', 'minutes between runs (default 15)')
    .option(
      '--delete-after <days>',
      'days a user gone from the directory stays deactivated before deletion (default 30)',
    )
    .option('--guard-percent <n>', 'hold a run deprovisioning more than this % of the users (default 10)')
    .option('--guard-minimum <n>', '... and never fewer than this many (default 5)')
    .option('--watch', 'start a run when Google reports a user change (PUBLIC_URL must be https)')
    .option('--no-watch', "stop listening to Google's change notifications")
    .addOption(jsonOption())
    .action(async (opts: SourceOptions) => {
      if (Boolean(opts.scim) === Boolean(opts.google)) throw new CliFailure('give --scim or --google', 2);
      const credentials = credentialsOf(opts);
      const status = await withServices(async (s) =>
        s.directorySources.configure(
          await s.connections.ownerOf(opts.connection),
          opts.connection,
          opts.google ? 'google' : 'scim',
          {
            ...(credentials ? { credentials } : {}),
            ...(opts.customer ? { customer: opts.customer } : {}),
            ...(opts.orgUnit ? { orgUnits: opts.orgUnit } : {}),
            ...(opts.group ? { groups: opts.group } : {}),
            ...(opts.interval !== undefined ? { intervalMinutes: whole(opts.interval, '--interval') } : {}),
            ...(opts.deleteAfter !== undefined ? { deleteAfterDays: whole(opts.deleteAfter, '--delete-after') } : {}),
            ...(opts.guardPercent !== undefined ? { guardPercent: whole(opts.guardPercent, '--guard-percent') } : {}),
            ...(opts.guardMinimum !== undefined ? { guardMinimum: whole(opts.guardMinimum, '--guard-minimum') } : {}),
            ...(opts.watch !== undefined ? { watch: opts.watch } : {}),
          },
          CLI_ACTOR,
        ),
      );
      printResult(io, opts.json, status, () =>
        [
          describeStatus(status),
          ...(status.google?.credentials.kind === 'service_account'
            ? [`domain-wide delegation must grant the service account's client ID: ${status.scopes.join(',')}`]
            : []),
        ].join('\n'),
      );
    });

  directory
    .command('status')
    .description("the connection's source, its sync's schedule, last run and any held run")
    .requiredOption('--connection <id>', 'connection id')
    .addOption(jsonOption())
    .action(async (opts: JsonOption & { connection: string }) => {
      const status = await withServices(async (s) =>
        s.directorySources.status(await s.connections.ownerOf(opts.connection), opts.connection),
      );
      printResult(io, opts.json, status, () => describeStatus(status));
    });

  const sync = directory.command('sync').description("the connection's directory sync");
  sync
    .command('run', { isDefault: true })
    .description('run the sync now, on this machine (JSON lines of progress with --json)')
    .requiredOption('--connection <id>', 'connection id')
    .addOption(jsonOption())
    .action(async (opts: JsonOption & { connection: string }) => {
      let line = '';
      const run = await withServices(async (s) =>
        s.directorySync.run(await s.connections.ownerOf(opts.connection), opts.connection, 'manual', (progress) => {
          if (opts.json) io.stdout(`${JSON.stringify({ event: 'progress', ...progress })}\n`);
          else if (io.interactive) {
            line = `${progress.phase}: ${progress.done}`;
            io.stderr(`\r${line.padEnd(40)}`);
          }
        }),
      );
      if (line) io.stderr('\n');
      finish(io, opts.json, run, opts.connection);
    });
  sync
    .command('approve')
    .description("let the held run's deprovisionings through, and run now")
    .requiredOption('--connection <id>', 'connection id')
    .addOption(jsonOption())
    .action(async (opts: JsonOption & { connection: string }) => {
      const run = await withServices(async (s) => {
        const orgId = await s.connections.ownerOf(opts.connection);
        await s.directorySync.approve(orgId, opts.connection, CLI_ACTOR);
        return s.directorySync.run(orgId, opts.connection, 'approval');
      });
      finish(io, opts.json, run, opts.connection);
    });
  sync
    .command('discard')
    .description('drop the held run: nothing of it is applied; the next run plans afresh')
    .requiredOption('--connection <id>', 'connection id')
    .addOption(new Option('--json', 'print machine-readable JSON'))
    .action(async (opts: JsonOption & { connection: string }) => {
      const run = await withServices(async (s) =>
        s.directorySync.discard(await s.connections.ownerOf(opts.connection), opts.connection, CLI_ACTOR),
      );
      printResult(io, opts.json, run, () => `discarded the run held ${run.startedAt}`);
    });
};

/**
 * A connection's directory source and the Google Workspace directory sync: read the status
 * (Admins), choose the source and its settings (Owners), start a run now (Admins), and
 * approve (Owners) or discard (Admins) a run the guard holds.
 */
import { z } from 'zod';
import { DIRECTORY_SOURCES } from '../../domain/directory-sync.js';
import type { AdminApiDeps } from '../deps.js';
import { route, type AdminRoute, type HandlerContext } from '../route-table.js';
import { Id, Timestamp } from '../schemas.js';

const ConnectionParams = z.object({ connectionId: Id });

const Counts = z.object({
  usersCreated: z.number(),
  usersUpdated: z.number(),
  usersDeactivated: z.number(),
  usersReactivated: z.number(),
  usersDeleted: z.number(),
  groupsCreated: z.number(),
  groupsUpdated: z.number(),
  groupsDeleted: z.number(),
  membershipsAdded: z.number(),
  membershipsRemoved: z.number(),
  usersSkipped: z.number().describe('users the directory refused (the server log and audit say why)'),
});

const SyncRun = z.object({
  id: z.string(),
  connectionId: z.string(),
  trigger: z.enum(['schedule', 'manual', 'approval', 'watch']).describe('watch: Google reported a change'),
  status: z.enum(['running', 'succeeded', 'failed', 'held', 'approved', 'discarded']),
  startedAt: Timestamp,
  finishedAt: Timestamp.nullable(),
  counts: Counts.nullable(),
  errorCode: z.string().nullable().describe('e.g. sync.delegation_missing_scope'),
  errorMessage: z.string().nullable().describe('what went wrong, in words an admin can act on'),
  held: z
    .object({
      total: z.number().describe('how many people the run would deactivate or delete'),
      limit: z.number().describe('how many the guard lets through without an approval'),
      users: z.array(z.object({ id: z.string(), userName: z.string(), action: z.enum(['deactivate', 'delete']) })),
    })
    .nullable(),
});

const Status = z.object({
  source: z.enum(DIRECTORY_SOURCES),
  google: z
    .object({
      credentials: z.union([
        z.object({ kind: z.literal('service_account'), clientEmail: z.string(), subject: z.string() }),
        z.object({ kind: z.literal('oauth'), clientId: z.string() }),
      ]),
      customer: z.string(),
      orgUnits: z.array(z.string()),
      groups: z.array(z.string()),
      intervalMinutes: z.number(),
      deleteAfterDays: z.number(),
      guard: z.object({ percent: z.number(), minimum: z.number() }),
      watch: z.boolean().describe("Google's change notifications start a run early"),
    })
    .nullable(),
  nextRunAt: Timestamp.nullable(),
  running: z.boolean(),
  lastRun: SyncRun.nullable(),
  held: SyncRun.nullable().describe('a run the guard holds until it is approved or discarded'),
  runs: z.array(SyncRun).describe('the latest runs, newest first'),
  watching: z
    .object({ until: Timestamp })
    .nullable()
    .describe("the channel of Google's change notifications, while one is open (each run renews it)"),
  scopes: z.array(z.string()).describe('what domain-wide delegation (or the admin consenting) must grant'),
});

const Credentials = z.union([
  z.object({
    serviceAccountKey: z.string().min(1).max(20_000).describe("the service account's JSON key file, as text"),
    subject: z.string().min(1).max(320).describe('the admin the service account acts as'),
  }),
  z.object({
    clientId: z.string().min(1).max(512),
    clientSecret: z.string().min(1).max(4096),
    refreshToken: z.string().min(1).max(4096).describe("an admin's refresh token with the read-only scopes"),
  }),
]);

const Configure = z.object({
  source: z.enum(DIRECTORY_SOURCES).describe('scim: the IdP pushes people; google: the directory sync pulls them'),
  google: z
    .object({
      credentials: Credentials.optional().describe('absent: keep the stored ones'),
      customer: z.string().max(64).optional(),
      orgUnits: z.array(z.string().max(1024)).max(200).optional().describe('only users under these org units'),
      groups: z
        .array(z.string().max(320))
        .max(200)
        .optional()
        .describe('only these groups (email or id) and the groups they include'),
      intervalMinutes: z.number().int().optional(),
      deleteAfterDays: z.number().int().optional(),
      guardPercent: z.number().int().optional(),
      guardMinimum: z.number().int().optional(),
      watch: z
        .boolean()
        .optional()
        .describe('start a run when Google reports a user change (users.watch; PUBLIC_URL must be https)'),
    })
    .optional(),
});

export function directorySyncRoutes({ services }: AdminApiDeps): AdminRoute[] {
  /** Starts a run on this instance and answers once it is recorded; its end is recorded on the run. */
  const startNow = async (
    { caller, params, req }: HandlerContext<{ connectionId: string }, unknown, unknown>,
    trigger: 'manual' | 'approval',
  ): Promise<unknown> => {
    const { run, done } = await services.directorySync.start(caller.orgId, params.connectionId, trigger);
    // A failure is recorded on the run (the console shows it); an unexpected one is logged here too.
    done.catch((error: unknown) =>
      req.log.error({ err: error, connectionId: params.connectionId }, 'directory sync run failed'),
    );
    return run;
  };
  return [
    route({
      method: 'get',
      path: '/connections/{connectionId}/directory-sync',
      operationId: 'getDirectorySync',
      summary: "Show where a connection's people come from, and its directory sync's runs",
      tag: 'directory-sync',
      role: 'Admin',
      params: ConnectionParams,
      response: Status,
      handle: ({ caller, params }) => services.directorySources.status(caller.orgId, params.connectionId),
    }),
    route({
      method: 'put',
      path: '/connections/{connectionId}/directory-sync',
      operationId: 'configureDirectorySync',
      summary: "Choose where a connection's people come from (SCIM pushes or the Google directory sync)",
      tag: 'directory-sync',
      role: 'Owner',
      params: ConnectionParams,
      body: Configure,
      response: Status,
      handle: ({ caller, params, body }) =>
        services.directorySources.configure(
          caller.orgId,
          params.connectionId,
          body.source,
          body.google ?? {},
          caller.actor,
        ),
    }),
    route({
      method: 'post',
      path: '/connections/{connectionId}/directory-sync/runs',
      operationId: 'startDirectorySync',
      summary: "Sync a connection's directory now",
      tag: 'directory-sync',
      role: 'Admin',
      params: ConnectionParams,
      response: SyncRun,
      status: 201,
      handle: (ctx) => startNow(ctx, 'manual'),
    }),
    route({
      method: 'post',
      path: '/connections/{connectionId}/directory-sync/approve',
      operationId: 'approveDirectorySync',
      summary: 'Approve the deprovisionings a held directory sync run would apply, and run it now',
      tag: 'directory-sync',
      role: 'Owner',
      params: ConnectionParams,
      response: SyncRun,
      status: 201,
      handle: async (ctx) => {
        await services.directorySync.approve(ctx.caller.orgId, ctx.params.connectionId, ctx.caller.actor);
        return startNow(ctx, 'approval');
      },
    }),
    route({
      method: 'post',
      path: '/connections/{connectionId}/directory-sync/discard',
      operationId: 'discardDirectorySync',
      summary: 'Discard a held directory sync run (nothing of it is applied; the next run plans afresh)',
      tag: 'directory-sync',
      role: 'Admin',
      params: ConnectionParams,
      response: SyncRun,
      handle: ({ caller, params }) => services.directorySync.discard(caller.orgId, params.connectionId, caller.actor),
    }),
  ];
}

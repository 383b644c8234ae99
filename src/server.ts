/**
 * The HTTP service's life: open the store (migrating it when configured), build the
 * services (services.ts), start the change feed and telemetry, assemble the app (app.ts),
 * listen; and the graceful shutdown that undoes it (stop accepting, finish in-flight
 * requests, close the feed, the services and the pool).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { IssuedSetupLink } from './admin/console-access.js';
import { buildApp } from './app.js';
import type { Config } from './config/config.js';
import { SYSTEM_ACTOR } from './domain/actor.js';
import { servicesFor, type Services } from './services.js';
import { scheduleDirectorySyncs } from './directory/sync/scheduler.js';
import { scheduleEventPruning } from './events/event-feed.js';
import { AccessChangeFeed } from './store/access-change-feed.js';
import { openStore } from './store/open-store.js';
import type { Store } from './store/store.js';
import type { Logger } from './telemetry/logger.js';
import { startOtlpTracing } from './telemetry/tracing.js';

export interface RunningServer {
  readonly server: Server;
  readonly services: Services;
  /** The database the services run on (operators' tools and tests look into it). */
  readonly store: Store;
  readonly url: string;
  /** True when the database holds no organization yet (a first start). */
  readonly firstStart: boolean;
  /** On a first start: a one-time link to the console that creates the org and makes its holder the Owner. */
  readonly setupLink: IssuedSetupLink | undefined;
  /** Stops accepting connections, waits for in-flight requests (up to the shutdown timeout), closes the pool. */
  close(): Promise<void>;
}

export interface ServerOptions {
  /** The project folder (console/static, dist/console) the admin console is served from. */
  readonly consoleRoot?: string;
}

export async function startServer(config: Config, logger: Logger, options: ServerOptions = {}): Promise<RunningServer> {
  const migrate = config.database.client === 'sqlite' || config.migrateOnStart;
  const dbLogger = logger.child({ component: 'database' });
  const store = await openStore(config.database, {
    migrate,
    log: { warn: (m) => dbLogger.warn(m), error: (m) => dbLogger.error(m) },
    onMigrated: (applied) => {
      if (applied.length > 0) logger.info({ applied }, 'applied database migrations');
    },
  });
  const services = await servicesFor(config, store, logger);
  // Orgs whose users predate the access history: record where everyone stands before any change.
  const historyStarted = await services.accessHistory.startPending();
  if (historyStarted > 0) logger.info({ orgs: historyStarted }, 'recorded the current access of every user');
  const stopStatistics = store.keepStatisticsFresh(dbLogger);
  const uninstrument = store.instrument();
  const stopTracing = config.otelEndpoint ? startOtlpTracing(config.otelEndpoint) : undefined;
  const feed =
    config.database.client === 'pg'
      ? new AccessChangeFeed(config.database.listenUrl ?? config.database.url, {
          onChange: (change) => services.access.applyChange(change),
          onReset: () => services.access.reset(),
          onError: (error) =>
            dbLogger.warn({ err: error }, 'access change feed interrupted; decisions read the database'),
        })
      : undefined;
  if (feed) {
    await feed.start();
    services.access.useChangeFeed(feed);
  }
  const app = buildApp({ config, logger, services, consoleRoot: options.consoleRoot });
  // With events off nothing new is owed to any endpoint.
  if (config.events && config.webhookDelivery) services.webhookDelivery.start();
  const stopPruning = scheduleEventPruning(services.events, logger.child({ component: 'events' }));
  const stopSyncs = config.directorySyncScheduler
    ? scheduleDirectorySyncs(services.directorySync, logger.child({ component: 'directory-sync' }))
    : undefined;

  const server = await new Promise<Server>((resolve, reject) => {
    const s = createServer(app);
    s.once('error', reject);
    s.listen(config.port, config.host, () => {
      s.off('error', reject);
      resolve(s);
    });
  });
  server.keepAliveTimeout = 65_000; // longer than common load balancer idle timeouts
  const address = server.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  logger.info({ url, publicUrl: config.publicUrl, database: config.database.client }, 'identity-bridge listening');

  const firstStart = await services.organizations.none();
  // The first Owner signs in with a one-time link and connects the IdP from the console.
  const setupLink = firstStart ? await services.consoleAccess.issueLink(null, SYSTEM_ACTOR) : undefined;
  if (firstStart) logger.info({ next: FIRST_START_STEPS }, 'no organization yet');

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          logger.warn('shutdown timeout reached: closing remaining connections');
          server.closeAllConnections();
        }, config.shutdownTimeoutMs);
        timer.unref();
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        server.closeIdleConnections();
      });
      await stopSyncs?.();
      stopPruning();
      await services.webhookDelivery.stop();
      stopStatistics();
      uninstrument();
      await stopTracing?.();
      await feed?.stop();
      await services.close();
      await store.close();
    })());

  return { server, services, store, url, firstStart, setupLink, close };
}

/** The same first steps with the CLI: create an org, connect its IdP, issue the IdP a SCIM token. */
export const FIRST_START_STEPS = [
  'npx identity-bridge org create --name "Example Corp"',
  'npx identity-bridge connection create --org example-corp --kind okta --name Okta',
  'npx identity-bridge scim-token issue --connection <connection id>',
] as const;

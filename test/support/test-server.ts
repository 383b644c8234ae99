/** The real service on its own test database, listening on a random loopback port. */
import net from 'node:net';
import path from 'node:path';
import { loadConfig, type Config } from '../../src/config/config.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { createTestDatabase, type TestDatabase } from './test-database.js';

export interface TestServer {
  readonly url: string;
  readonly config: Config;
  readonly running: RunningServer;
  readonly database: TestDatabase;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

export async function startTestServer(env: Record<string, string> = {}): Promise<TestServer> {
  const database = await createTestDatabase();
  // A known port, so that PUBLIC_URL (SSO redirect URIs, SCIM locations) is the real address.
  const port = await freePort();
  const config = loadConfig({
    DATABASE_URL: database.url,
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    LOG_LEVEL: 'silent',
    SESSION_SECRET: 'test-session-secret-that-is-long-enough-0123456789',
    ...env,
  });
  const running = await startServer(config, createLogger(config.logLevel), {
    consoleRoot: path.resolve(__dirname, '../..'),
  });
  return {
    url: running.url,
    config,
    running,
    database,
    close: async () => {
      await running.close();
      await database.drop();
    },
  };
}

/** Another instance of the service on the same database (a fleet of two in one process). */
export async function startInstanceOn(databaseUrl: string, env: Record<string, string> = {}): Promise<RunningServer> {
  const config = loadConfig({
    DATABASE_URL: databaseUrl,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    SESSION_SECRET: 'test-session-secret-that-is-long-enough-0123456789',
    ...env,
  });
  return startServer(config, createLogger(config.logLevel));
}

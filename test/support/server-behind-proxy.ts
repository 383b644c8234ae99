/**
 * The server on its own test database, reached through a TCP proxy a test can cut, reset or
 * make drop an answer (tcp-proxy.ts), with its log lines captured as strings.
 */
import { Writable } from 'node:stream';
import { loadConfig } from '../../src/config/config.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';
import { createTestDatabase, type TestDatabase } from './test-database.js';
import { TEST_SESSION_SECRET } from './test-services.js';

export interface ServerBehindProxy {
  readonly database: TestDatabase;
  readonly proxy: TcpProxy;
  readonly running: RunningServer;
  /** The log lines written so far. */
  readonly logged: string[];
  close(): Promise<void>;
}

export async function startServerBehindProxy(env: Record<string, string> = {}): Promise<ServerBehindProxy> {
  const logged: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logged.push(...chunk.toString().trim().split('\n'));
      done();
    },
  });
  const database = await createTestDatabase();
  const direct = new URL(database.url);
  const proxy = await startTcpProxy(direct.hostname, Number(direct.port || 5432));
  const viaProxy = new URL(database.url);
  viaProxy.port = String(proxy.port);
  const config = loadConfig({
    DATABASE_URL: viaProxy.toString(),
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    SESSION_SECRET: TEST_SESSION_SECRET,
    ...env,
  });
  const running = await startServer(config, createLogger('info', sink));
  return {
    database,
    proxy,
    running,
    logged,
    async close() {
      await running.close();
      await proxy.close();
      await database.drop();
    },
  };
}

/** The service under benchmark as a child process, on a database of its own. */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { createServices, type ServiceSettings, type Services } from '../src/services.js';
import type { Store } from '../src/store/store.js';
import { freePort } from './scratch-postgres.js';

/** The session secret of the benchmarked service (and of the services a benchmark seeds data with). */
export const BENCH_SESSION_SECRET = 'bench-secret-that-is-long-enough-0123456789abcdef';

/** The services on a store the benchmark seeds, as the service builds them. */
export function benchServices(store: Store, settings: Partial<ServiceSettings> = {}): Services {
  return createServices(store, { publicUrl: 'http://127.0.0.1', sessionSecret: BENCH_SESSION_SECRET, ...settings });
}

const ROOT = path.resolve(import.meta.dirname, '../..');

/** Runs one statement on the server's maintenance database (creating and dropping benchmark databases). */
async function onServer(databaseUrl: string, statement: (name: string) => string): Promise<void> {
  const url = new URL(databaseUrl);
  const name = pg.escapeIdentifier(url.pathname.slice(1));
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    await client.query(statement(name));
  } finally {
    await client.end();
  }
}

/** Drops the benchmark's database (at the end of a run). */
export function dropDatabase(databaseUrl: string): Promise<void> {
  return onServer(databaseUrl, (name) => `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}

/** Drops and recreates the benchmark's database. */
export async function recreateDatabase(databaseUrl: string): Promise<void> {
  await dropDatabase(databaseUrl);
  await onServer(databaseUrl, (name) => `CREATE DATABASE ${name}`);
}

/** A built script as its own process on a free loopback port, once its /readyz answers 200. */
async function spawnReady(
  script: string,
  port: number,
  env: Record<string, string>,
  nodeArgs: readonly string[] = [],
): Promise<{ child: ChildProcess; url: string }> {
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [...nodeArgs, script], {
    env: { PATH: process.env.PATH ?? '', PORT: String(port), ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (let attempt = 0; attempt < 100; attempt++) {
    if (child.exitCode !== null) throw new Error(`${path.basename(script)} exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/readyz`)).status === 200) return { child, url };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${path.basename(script)} did not become ready`);
}

/** The built service (node dist/src/main.js) as its own process on a free loopback port, once ready. */
export async function startService(
  databaseUrl: string,
  env: Record<string, string> = {},
): Promise<{ child: ChildProcess; url: string }> {
  // BENCH_SERVICE_ARGS passes extra node flags to the service, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
  const nodeArgs = (process.env.BENCH_SERVICE_ARGS ?? '').split(' ').filter(Boolean);
  const port = await freePort();
  return spawnReady(
    path.join(ROOT, 'dist/src/main.js'),
    port,
    {
      DATABASE_URL: databaseUrl,
      HOST: '127.0.0.1',
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      LOG_LEVEL: 'warn',
      SESSION_SECRET: BENCH_SESSION_SECRET,
      // An IdP's initial sync at full speed: the limiter runs (and is measured) but never refuses.
      SCIM_RATE_LIMIT: '100000000',
      ...env,
    },
    nodeArgs,
  );
}

/** The bare reference server (reference-server.ts) on the same database, for one org's connection. */
export async function startReference(
  database: string,
  orgId: string,
  connectionId: string,
  poolMax = 10,
): Promise<{ child: ChildProcess; url: string }> {
  return spawnReady(path.join(ROOT, 'dist/bench/reference-server.js'), await freePort(), {
    REF_DATABASE: database,
    REF_ORG: orgId,
    REF_CONNECTION: connectionId,
    REF_POOL: String(poolMax),
  });
}

export function peakRssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)\s+kB/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

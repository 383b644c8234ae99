/**
 * A local fleet: PgBouncer (transaction pooling) in front of PostgreSQL, identity-bridge
 * instances behind HAProxy, all on loopback, from Debian's packages. Used by `npm run fleet`
 * (local trials), the fleet test and the soak benchmark. Run from the project folder, after
 * `npm run build`.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './scratch-postgres.js';

const ROOT = process.cwd();
const MAIN = path.join(ROOT, 'dist/src/main.js');
const CLI = path.join(ROOT, 'bin/identity-bridge.js');

export function which(binary: string): string | undefined {
  for (const dir of ['/usr/sbin', '/usr/bin', '/sbin', '/bin', ...(process.env.PATH ?? '').split(':')]) {
    const p = path.join(dir, binary);
    if (fs.existsSync(p)) return p;
  }
  return undefined;
}

/** PgBouncer and HAProxy from Debian's packages, installed when missing (as root). */
export function ensurePackages(): void {
  const missing = ['pgbouncer', 'haproxy'].filter((b) => !which(b));
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0 || !which('apt-get')) {
    throw new Error(`install ${missing.join(' and ')} first: sudo apt-get install -y ${missing.join(' ')}`);
  }
  execFileSync('apt-get', ['install', '-y', '--no-install-recommends', ...missing], { stdio: 'ignore' });
}

export async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export const portOpen = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });

/**
 * Starts the fleet. `databaseUrl` is PostgreSQL itself (migrations, LISTEN); the instances
 * reach it through PgBouncer. Returns its URLs and controls for fault drills.
 */
export interface FleetOptions {
  /** PostgreSQL itself (migrations, LISTEN); the instances reach it through PgBouncer. */
  readonly databaseUrl: string;
  readonly instances?: number;
  readonly env?: Readonly<Record<string, string>>;
  readonly log?: (line: string) => void;
}

export interface Fleet {
  readonly url: string;
  readonly databaseUrl: string;
  readonly instanceUrls: readonly string[];
  kill(i: number): Promise<void>;
  restart(i: number): Promise<unknown>;
  pids(): Array<number | undefined>;
  stop(): Promise<void>;
}

export async function startFleet({
  databaseUrl,
  instances = 3,
  env = {},
  log = () => undefined,
}: FleetOptions): Promise<Fleet> {
  ensurePackages();
  if (!fs.existsSync(MAIN)) throw new Error('run `npm run build` first');
  const direct = new URL(databaseUrl);
  const dbName = direct.pathname.slice(1);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ib-fleet-'));
  fs.chmodSync(dir, 0o755);
  const children = new Set<ChildProcess>();
  const track = (child: ChildProcess, name: string): ChildProcess => {
    children.add(child);
    child.once('exit', () => children.delete(child));
    child.stderr?.on('data', (d: Buffer) => log(`[${name}] ${d.toString()}`));
    return child;
  };

  // Migrations once, against PostgreSQL itself (creates the database if needed).
  execFileSync(process.execPath, [CLI, 'migrate'], {
    env: { PATH: process.env.PATH ?? '', DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });

  const bouncerPort = await freePort();
  const user = decodeURIComponent(direct.username || 'postgres');
  fs.writeFileSync(path.join(dir, 'userlist.txt'), `"${user}" ""\n`);
  fs.writeFileSync(
    path.join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      // Server connections carry the statement deadline and JIT off too, whichever client's statement they run.
      `${dbName} = host=${direct.hostname} port=${direct.port || 5432} dbname=${dbName} user=${user} connect_query='SET statement_timeout = 24000; SET jit = off'`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${bouncerPort}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${path.join(dir, 'userlist.txt')}`,
      'pool_mode = transaction',
      'max_client_conn = 1000',
      'default_pool_size = 20',
      'server_login_retry = 1',
      'log_connections = 0',
      'log_disconnections = 0',
      'ignore_startup_parameters = extra_float_digits,options',
      '',
    ].join('\n'),
  );
  for (const f of fs.readdirSync(dir)) fs.chmodSync(path.join(dir, f), 0o644);
  const bouncerArgs = [path.join(dir, 'pgbouncer.ini')];
  // PgBouncer refuses to run as root: drop to the postgres user.
  if (process.getuid?.() === 0) bouncerArgs.unshift('-u', 'postgres');
  track(spawn(which('pgbouncer')!, bouncerArgs, { stdio: ['ignore', 'ignore', 'pipe'] }), 'pgbouncer');
  await waitFor(() => portOpen(bouncerPort), 'PgBouncer');

  const lbPort = await freePort();
  const publicUrl = `http://127.0.0.1:${lbPort}`;
  const pooledUrl = new URL(databaseUrl);
  pooledUrl.port = String(bouncerPort);
  pooledUrl.hostname = '127.0.0.1';
  const sessionSecret = env.SESSION_SECRET ?? `fleet-${Math.random().toString(36).slice(2)}-session-secret-0123456789`;
  const ports: number[] = [];
  const procs: ChildProcess[] = [];
  const startInstance = async (i: number): Promise<ChildProcess> => {
    const port = ports[i]!;
    const child = track(
      spawn(process.execPath, [MAIN], {
        env: {
          PATH: process.env.PATH ?? '',
          DATABASE_URL: pooledUrl.toString(),
          DATABASE_LISTEN_URL: databaseUrl,
          // PgBouncer in transaction mode: no server-side prepared statements, no migrations through it.
          DATABASE_PREPARED_STATEMENTS: 'false',
          MIGRATE_ON_START: 'false',
          PORT: String(port),
          HOST: '127.0.0.1',
          PUBLIC_URL: publicUrl,
          TRUST_PROXY: 'true',
          LOG_LEVEL: 'warn',
          SESSION_SECRET: sessionSecret,
          ...env,
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      }),
      `instance ${i + 1}`,
    );
    procs[i] = child;
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200, `instance ${i + 1}`);
    return child;
  };
  for (let i = 0; i < instances; i++) ports.push(await freePort());
  await Promise.all(ports.map((_, i) => startInstance(i)));

  fs.writeFileSync(
    path.join(dir, 'haproxy.cfg'),
    [
      'global',
      '  maxconn 4096',
      'defaults',
      '  mode http',
      '  timeout connect 2s',
      '  timeout client 60s',
      '  timeout server 60s',
      '  retries 2',
      '  option redispatch',
      'frontend identity_bridge',
      `  bind 127.0.0.1:${lbPort}`,
      '  option forwardfor',
      '  default_backend instances',
      'backend instances',
      '  balance roundrobin',
      '  option httpchk GET /readyz',
      '  http-check expect status 200',
      '  default-server inter 500ms fall 2 rise 2',
      ...ports.map((p, i) => `  server i${i + 1} 127.0.0.1:${p} check`),
      '',
    ].join('\n'),
  );
  track(
    spawn(which('haproxy')!, ['-db', '-f', path.join(dir, 'haproxy.cfg')], { stdio: ['ignore', 'ignore', 'pipe'] }),
    'haproxy',
  );
  await waitFor(async () => (await fetch(`${publicUrl}/readyz`)).status === 200, 'HAProxy');

  return {
    url: publicUrl,
    databaseUrl,
    instanceUrls: ports.map((p) => `http://127.0.0.1:${p}`),
    /** Kills instance i (SIGKILL: no draining) and returns when it is gone. */
    async kill(i: number) {
      const child = procs[i];
      if (!child || child.exitCode !== null) return;
      const gone = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGKILL');
      await gone;
    },
    /** Starts instance i again on its port. */
    restart: (i: number) => startInstance(i),
    pids: () => procs.map((p) => p?.pid),
    async stop() {
      const all = [...children];
      await Promise.all(
        all.map(
          (c) =>
            new Promise<void>((resolve) => {
              if (c.exitCode !== null || c.signalCode !== null) return resolve();
              c.once('exit', () => resolve());
              c.kill('SIGTERM');
              setTimeout(() => c.kill('SIGKILL'), 5000).unref();
            }),
        ),
      );
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

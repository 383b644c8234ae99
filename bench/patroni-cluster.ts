/**
 * A highly available PostgreSQL on loopback, from Debian's packages: etcd, three PostgreSQL
 * 15 nodes under Patroni with synchronous replication (synchronous_mode: a commit is
 * acknowledged once a standby has it, so a failover loses no acknowledged write), and
 * HAProxy sending connections to the leader by Patroni's REST check (`GET /primary`).
 * Used by `npm run fleet -- --ha` and the failover drill.
 *
 * How fast a failover is follows from the DCS settings below: the leader key lives `ttl`
 * (10 s) unless renewed, Patroni looks every `loop_wait` (1 s), HAProxy checks every second
 * and drops a server after 2 failed checks (closing its sessions). A leader that dies is
 * replaced within about ttl + loop_wait + HAProxy's 2 s.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { portOpen, waitFor, which } from './fleet.js';
import { freePort } from './scratch-postgres.js';

export const FAILOVER_SETTINGS = { ttl: 10, loop_wait: 1, retry_timeout: 4 } as const;

const BIN = '/usr/lib/postgresql/15/bin';

/** Patroni and etcd from Debian's packages, installed when missing (as root). */
export function ensureHaPackages(): void {
  const missing = [
    ['patroni', 'patroni'],
    ['etcd', 'etcd-server'],
  ].filter(([binary]) => !which(binary!));
  if (missing.length === 0) return;
  const packages = missing.map(([, pkg]) => pkg!);
  if (process.getuid?.() !== 0 || !which('apt-get')) {
    throw new Error(`install ${packages.join(' and ')} first: sudo apt-get install -y ${packages.join(' ')}`);
  }
  execFileSync('apt-get', ['install', '-y', '--no-install-recommends', ...packages], { stdio: 'ignore' });
}

interface Node {
  readonly name: string;
  readonly pgPort: number;
  readonly restPort: number;
  readonly config: string;
  readonly dataDir: string;
  patroni: ChildProcess | undefined;
}

export interface PatroniCluster {
  /** postgres://postgres@127.0.0.1:PORT/DATABASE through HAProxy: always the leader. */
  readonly url: string;
  /** The leader's name and ports, as Patroni reports it. */
  leader(): Promise<{ name: string; pgPort: number }>;
  /** SIGKILLs the leader node (its Patroni and its PostgreSQL): a machine that died. Returns its name. */
  killLeader(): Promise<string>;
  /** Starts a killed node again (it rejoins as a replica, rewound if needed). */
  revive(name: string): Promise<void>;
  /** A planned switchover to a healthy replica (`patronictl switchover`). */
  switchover(): Promise<void>;
  stop(): Promise<void>;
}

const asPostgres = (args: readonly string[]): [string, string[]] =>
  process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', ...args]] : [args[0]!, args.slice(1)];

export async function startPatroniCluster(
  options: { database?: string; log?: (line: string) => void } = {},
): Promise<PatroniCluster> {
  ensureHaPackages();
  const log = options.log ?? (() => undefined);
  const database = options.database ?? 'identity_bridge';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ib-ha-'));
  fs.chmodSync(dir, 0o777);
  const children = new Set<ChildProcess>();
  const run = (name: string, args: readonly string[]): ChildProcess => {
    const [cmd, argv] = asPostgres(args);
    const child = spawn(cmd, argv, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    children.add(child);
    child.once('exit', () => children.delete(child));
    child.stderr?.on('data', (d: Buffer) => log(`[${name}] ${d.toString()}`));
    return child;
  };

  const etcdClient = await freePort();
  const etcdPeer = await freePort();
  run('etcd', [
    which('etcd')!,
    '--name',
    'ib-etcd',
    '--data-dir',
    path.join(dir, 'etcd'),
    '--listen-client-urls',
    `http://127.0.0.1:${etcdClient}`,
    '--advertise-client-urls',
    `http://127.0.0.1:${etcdClient}`,
    '--listen-peer-urls',
    `http://127.0.0.1:${etcdPeer}`,
    '--initial-advertise-peer-urls',
    `http://127.0.0.1:${etcdPeer}`,
    '--initial-cluster',
    `ib-etcd=http://127.0.0.1:${etcdPeer}`,
  ]);
  await waitFor(() => portOpen(etcdClient), 'etcd');

  const nodes: Node[] = [];
  for (let i = 1; i <= 3; i++) {
    const node: Node = {
      name: `node${i}`,
      pgPort: await freePort(),
      restPort: await freePort(),
      config: path.join(dir, `node${i}.yml`),
      dataDir: path.join(dir, `data${i}`),
      patroni: undefined,
    };
    // JSON is YAML: Patroni reads this as its configuration file.
    const config = {
      scope: 'identity-bridge',
      namespace: '/identity-bridge/',
      name: node.name,
      restapi: { listen: `127.0.0.1:${node.restPort}`, connect_address: `127.0.0.1:${node.restPort}` },
      etcd3: { hosts: `127.0.0.1:${etcdClient}` },
      bootstrap: {
        dcs: {
          ...FAILOVER_SETTINGS,
          maximum_lag_on_failover: 1048576,
          synchronous_mode: true,
          postgresql: {
            use_pg_rewind: true,
            parameters: { wal_level: 'replica', hot_standby: 'on', max_wal_senders: 10, wal_log_hints: 'on' },
          },
        },
        initdb: [{ encoding: 'UTF8' }],
        pg_hba: [
          'host replication replicator 127.0.0.1/32 trust',
          'host all all 127.0.0.1/32 trust',
          'local all all trust',
        ],
      },
      postgresql: {
        listen: `127.0.0.1:${node.pgPort}`,
        connect_address: `127.0.0.1:${node.pgPort}`,
        data_dir: node.dataDir,
        bin_dir: BIN,
        pgpass: path.join(dir, `pgpass${i}`),
        authentication: {
          replication: { username: 'replicator', password: 'replicator' },
          superuser: { username: 'postgres', password: 'postgres' },
        },
        parameters: { unix_socket_directories: dir, max_connections: 200 },
      },
    };
    fs.writeFileSync(node.config, JSON.stringify(config, null, 2));
    fs.chmodSync(node.config, 0o644);
    nodes.push(node);
  }
  const startNode = (node: Node): void => {
    node.patroni = run(node.name, [which('patroni')!, node.config]);
  };
  const leaderOf = async (): Promise<Node | undefined> => {
    for (const node of nodes) {
      try {
        if ((await fetch(`http://127.0.0.1:${node.restPort}/primary`)).status === 200) return node;
      } catch {
        // node down
      }
    }
    return undefined;
  };
  /** Every node up, the replicas streaming, one of them the synchronous standby. */
  const allStreaming = async (): Promise<boolean> => {
    const leader = await leaderOf();
    if (!leader) return false;
    const res = await fetch(`http://127.0.0.1:${leader.restPort}/cluster`);
    const members = ((await res.json()) as { members: Array<{ role: string; state: string }> }).members;
    return (
      members.filter((m) => m.state === 'running' || m.state === 'streaming').length === nodes.length &&
      members.some((m) => m.role === 'sync_standby')
    );
  };
  nodes.forEach(startNode);
  await waitFor(async () => (await leaderOf()) !== undefined, 'a Patroni leader', 60_000);
  // Both replicas streaming, one of them the synchronous standby.
  await waitFor(
    async () => {
      const res = await fetch(`http://127.0.0.1:${nodes[0]!.restPort}/cluster`);
      const members = ((await res.json()) as { members: Array<{ role: string; state: string }> }).members;
      return (
        members.filter((m) => m.state === 'running' || m.state === 'streaming').length === 3 &&
        members.some((m) => m.role === 'sync_standby')
      );
    },
    'the replicas',
    60_000,
  );

  const pgPort = await freePort();
  const statsPort = await freePort();
  fs.writeFileSync(
    path.join(dir, 'haproxy.cfg'),
    [
      'global',
      '  maxconn 2000',
      'defaults',
      '  mode tcp',
      '  timeout connect 2s',
      '  timeout client 30m',
      '  timeout server 30m',
      'listen leader',
      `  bind 127.0.0.1:${pgPort}`,
      '  option httpchk GET /primary',
      '  http-check expect status 200',
      // A server that stops being the leader is dropped with its sessions, so clients reconnect to the new one.
      '  default-server inter 1s fall 2 rise 1 on-marked-down shutdown-sessions',
      ...nodes.map((n) => `  server ${n.name} 127.0.0.1:${n.pgPort} check port ${n.restPort}`),
      'listen stats',
      `  bind 127.0.0.1:${statsPort}`,
      '  mode http',
      '  stats enable',
      '  stats uri /',
      '',
    ].join('\n'),
  );
  const haproxy = spawn(which('haproxy')!, ['-db', '-f', path.join(dir, 'haproxy.cfg')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.add(haproxy);
  haproxy.stderr?.on('data', (d: Buffer) => log(`[haproxy-pg] ${d.toString()}`));
  await waitFor(() => portOpen(pgPort), 'HAProxy for PostgreSQL');
  // HAProxy counts a server up ("UP 1/2" while failing) until its checks fail: wait until only the leader is.
  const upServers = async (): Promise<string[]> =>
    (await (await fetch(`http://127.0.0.1:${statsPort}/;csv`)).text())
      .split('\n')
      .map((line) => line.split(','))
      .filter((f) => f[0] === 'leader' && f[1]?.startsWith('node') && f[17]?.startsWith('UP') === true)
      .map((f) => f[1]!);
  await waitFor(async () => (await upServers()).length === 1, 'HAProxy to route to the leader alone', 30_000);

  const url = `postgres://postgres@127.0.0.1:${pgPort}/${database}`;
  const kill = (child: ChildProcess | undefined): void => {
    // The runuser wrapper's process group holds Patroni; PostgreSQL runs in its own session.
    if (child?.pid) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  };
  /** The processes whose parent is `pid` (/proc). */
  const childrenOf = (pid: number): number[] =>
    fs
      .readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .filter((d) => {
        try {
          const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
          return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
        } catch {
          return false;
        }
      })
      .map(Number);
  const postmasterPid = (node: Node): number | undefined => {
    const file = path.join(node.dataDir, 'postmaster.pid');
    return fs.existsSync(file) ? Number(fs.readFileSync(file, 'utf8').split('\n')[0]) : undefined;
  };
  return {
    url,
    async leader() {
      const node = await leaderOf();
      if (!node) throw new Error('no leader');
      return { name: node.name, pgPort: node.pgPort };
    },
    async killLeader() {
      const node = await leaderOf();
      if (!node) throw new Error('no leader to kill');
      const pid = postmasterPid(node);
      kill(node.patroni);
      // The machine dies: the postmaster and every backend and walsender at once (a backend
      // that outlived its postmaster could still commit for a moment).
      for (const target of pid ? [pid, ...childrenOf(pid)] : []) {
        try {
          process.kill(target, 'SIGKILL');
        } catch {
          // gone
        }
      }
      return node.name;
    },
    async revive(name: string) {
      const node = nodes.find((n) => n.name === name)!;
      startNode(node);
      await waitFor(
        async () => (await fetch(`http://127.0.0.1:${node.restPort}/replica`)).status === 200 && (await allStreaming()),
        `${name} back as a replica`,
        60_000,
      );
    },
    async switchover() {
      // Patroni switches over to the synchronous standby only: wait until there is one.
      await waitFor(() => allStreaming(), 'a synchronous standby to switch over to', 60_000);
      const leader = await leaderOf();
      if (!leader) throw new Error('no leader to switch over from');
      const res = await fetch(`http://127.0.0.1:${leader.restPort}/switchover`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ leader: leader.name }),
      });
      if (res.status !== 200) throw new Error(`switchover refused: ${res.status} ${await res.text()}`);
      await waitFor(
        async () => {
          const now = await leaderOf();
          return now !== undefined && now.name !== leader.name;
        },
        'the switchover',
        60_000,
      );
    },
    async stop() {
      for (const node of nodes) {
        kill(node.patroni);
        const pid = postmasterPid(node);
        if (pid) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // gone
          }
        }
      }
      for (const child of children) child.kill('SIGKILL');
      for (const child of children) if (child.pid) kill(child);
      await new Promise((r) => setTimeout(r, 200));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

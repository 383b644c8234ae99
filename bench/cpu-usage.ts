/**
 * Where a phase's CPU went, read from Linux's /proc: the server's process, PostgreSQL's
 * processes (every `postgres` process of the machine: the benchmark is meant to run alone),
 * the load generator (this process) and the share of the machine left idle. The steady
 * state prints it per request beside each rate, so a ratio below its target shows whether
 * the server, the database or waiting (an idle machine) is where its time went. Where
 * /proc cannot be read (not Linux) it reads nothing and nothing is printed.
 */
import fs from 'node:fs';

/** Linux reports process times in USER_HZ ticks, 100 a second on every architecture Node runs on. */
const MS_PER_TICK = 10;

export interface CpuSnapshot {
  /** CPU ms of the server's process so far. */
  readonly server: number;
  /**
   * CPU ms of each PostgreSQL process so far, by pid (a backend that starts later counts
   * from 0); undefined when the database runs inside the server (SQLite).
   */
  readonly database: ReadonlyMap<number, number> | undefined;
  /** CPU ms of this process (the load generator) so far. */
  readonly client: number;
  /** The machine's idle and total ticks so far (all CPUs). */
  readonly idleTicks: number;
  readonly totalTicks: number;
}

export interface CpuPerRequest {
  readonly serverMs: number;
  /** Undefined when the database is not a process of its own (SQLite runs in the server). */
  readonly databaseMs: number | undefined;
  readonly clientMs: number;
  readonly idlePercent: number;
}

function processMs(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command (which may hold spaces) in parentheses: utime and stime are 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * MS_PER_TICK;
  } catch {
    return undefined;
  }
}

function postgresProcesses(): Map<number, number> {
  const found = new Map<number, number>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (!fs.readFileSync(`/proc/${entry}/comm`, 'utf8').startsWith('postgres')) continue;
    } catch {
      continue; // ended meanwhile
    }
    const ms = processMs(Number(entry));
    if (ms !== undefined) found.set(Number(entry), ms);
  }
  return found;
}

/** The counters now; undefined where /proc is not there to read. */
export function cpuSnapshot(serverPid: number | undefined, withDatabase: boolean): CpuSnapshot | undefined {
  if (serverPid === undefined || !fs.existsSync('/proc/stat')) return undefined;
  const server = processMs(serverPid);
  if (server === undefined) return undefined;
  const cpu = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
  const { user, system } = process.cpuUsage();
  return {
    server,
    database: withDatabase ? postgresProcesses() : undefined,
    client: (user + system) / 1000,
    idleTicks: (cpu[3] ?? 0) + (cpu[4] ?? 0), // idle and iowait
    totalTicks: cpu.reduce((a, b) => a + b, 0),
  };
}

/** What `requests` cost between two snapshots, per request. */
export function cpuPerRequest(
  before: CpuSnapshot | undefined,
  after: CpuSnapshot | undefined,
  requests: number,
): CpuPerRequest | undefined {
  if (!before || !after || requests <= 0) return undefined;
  let database: number | undefined;
  if (after.database) {
    database = 0;
    for (const [pid, ms] of after.database) database += ms - (before.database?.get(pid) ?? 0);
  }
  const ticks = after.totalTicks - before.totalTicks;
  return {
    serverMs: (after.server - before.server) / requests,
    databaseMs: database === undefined ? undefined : database / requests,
    clientMs: (after.client - before.client) / requests,
    idlePercent: ticks > 0 ? (100 * (after.idleTicks - before.idleTicks)) / ticks : 0,
  };
}

/** "server 0.19 db 0.09 client 0.07 ms, idle 27%". */
export function describeCpu(c: CpuPerRequest | undefined): string {
  if (!c) return '';
  const db = c.databaseMs === undefined ? '' : ` db ${c.databaseMs.toFixed(2)}`;
  return `server ${c.serverMs.toFixed(2)}${db} client ${c.clientMs.toFixed(2)} ms, idle ${c.idlePercent.toFixed(0)}%`;
}

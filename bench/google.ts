/**
 * `npm run bench:google`: the Google Workspace directory sync against the fake Directory
 * API (test/support), on PostgreSQL: an initial sync of 100,000 users, 1,000 groups and
 * 500,000 memberships, then a re-run with 1% of it changed. Each run is the CLI
 * (`identity-bridge directory sync`) as its own process; printed: duration, what it wrote,
 * API calls, and the process's peak RSS.
 *
 * BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/ib_bench_google, dropped
 * and recreated), BENCH_USERS, BENCH_GROUPS, BENCH_MEMBERSHIPS, BENCH_GOOGLE_QUOTA (requests
 * a minute the sync paces itself to; the fake does not limit, Google's default is 2,400),
 * BENCH_SYNC_ARGS (node flags for the sync processes, e.g. --cpu-prof), BENCH_SYNC_OUTPUT (a
 * file to append the sync processes' output to).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLI_ACTOR } from '../src/domain/actor.js';
import type { SyncRun } from '../src/domain/directory-sync.js';
import { openStore } from '../src/store/open-store.js';
import { FakeGoogleDirectory, aServiceAccount } from '../test/support/google-directory-fake.js';
import { BENCH_SESSION_SECRET, benchServices, recreateDatabase } from './service-process.js';

const USERS = Number(process.env.BENCH_USERS ?? 100_000);
const GROUPS = Number(process.env.BENCH_GROUPS ?? 1_000);
const MEMBERSHIPS = Number(process.env.BENCH_MEMBERSHIPS ?? 500_000);
const QUOTA = Number(process.env.BENCH_GOOGLE_QUOTA ?? 60_000);
const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/ib_bench_google';
const ROOT = path.resolve(import.meta.dirname, '../..');
const ADMIN = 'admin@bench.example';

function line(label: string, value: string): void {
  process.stdout.write(`${label.padEnd(52)} ${value}\n`);
}

function peakKb(pid: number): number {
  try {
    return Number(/VmHWM:\s+(\d+)\s+kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** One `directory sync` process: its run as recorded, wall time and peak RSS (sampled every 50 ms). */
async function syncProcess(
  connectionId: string,
  env: Record<string, string>,
): Promise<{ run: SyncRun; seconds: number; peakMb: number; phases: string }> {
  const started = performance.now();
  // BENCH_SYNC_ARGS passes node flags to the sync process, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
  const nodeArgs = (process.env.BENCH_SYNC_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(
    process.execPath,
    [
      ...nodeArgs,
      path.join(ROOT, 'bin/identity-bridge.js'),
      'directory',
      'sync',
      '--connection',
      connectionId,
      '--json',
    ],
    {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, peakKb(child.pid!))), 50);
  let out = '';
  // When each phase of the run was last reported: where the time goes.
  const phaseEnds = new Map<string, number>();
  child.stdout.on('data', (chunk: Buffer) => {
    const text = chunk.toString();
    out += text;
    for (const m of text.matchAll(/"phase":"([a-z]+)"/g)) phaseEnds.set(m[1]!, performance.now());
    peak = Math.max(peak, peakKb(child.pid!));
  });
  const code = await new Promise<number>((resolve) => child.on('exit', (c) => resolve(c ?? 1)));
  clearInterval(sampler);
  const seconds = (performance.now() - started) / 1000;
  // The run's last JSON line (node flags such as --trace-gc print lines of their own).
  const last =
    out
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .at(-1) ?? '{}';
  if (process.env.BENCH_SYNC_OUTPUT) fs.appendFileSync(process.env.BENCH_SYNC_OUTPUT, out);
  const run = JSON.parse(last) as SyncRun;
  if (code !== 0) throw new Error(`directory sync exited ${code}: ${last}`);
  let from = started;
  const phases = [...phaseEnds].map(([phase, end]) => {
    const s = `${phase} ${((end - from) / 1000).toFixed(1)}`;
    from = end;
    return s;
  });
  return { run, seconds, peakMb: peak / 1024, phases: phases.join(', ') };
}

async function main(): Promise<void> {
  if (!fs.existsSync(path.join(ROOT, 'dist/src/cli/main.js'))) throw new Error('run `npm run build` first');
  const google = new FakeGoogleDirectory();
  await google.start();
  const account = aServiceAccount();
  google.delegate(account);
  google.admins.add(ADMIN);
  for (let i = 0; i < USERS; i++) {
    google.addUser({
      id: String(100_000_000 + i),
      primaryEmail: `user${i}@bench.example`,
      name: { givenName: `Given${i}`, familyName: `Family${i}`, fullName: `Given${i} Family${i}` },
      orgUnitPath: i % 10 === 0 ? '/Engineering' : '/',
      emails: [{ address: `user${i}@bench.example`, primary: true }],
    });
  }
  const perGroup = Math.floor(MEMBERSHIPS / GROUPS);
  for (let g = 0; g < GROUPS; g++) {
    const members = Array.from({ length: perGroup }, (_, k) => ({
      id: String(100_000_000 + ((g * perGroup + k) % USERS)),
      type: 'USER' as const,
    }));
    // Every tenth group nests the next one.
    const nested = g % 10 === 0 && g + 1 < GROUPS ? [{ id: `group-${g + 1}`, type: 'GROUP' as const }] : [];
    google.addGroup({ id: `group-${g}`, email: `group${g}@bench.example`, name: `Group ${g}` }, [
      ...members,
      ...nested,
    ]);
  }

  await recreateDatabase(DATABASE_URL);
  const store = await openStore({ client: 'pg', url: DATABASE_URL, poolMax: 2 }, { migrate: true });
  const services = benchServices(store);
  const org = await services.organizations.create('Bench Corp', CLI_ACTOR);
  const connection = await services.connections.create(org.id, { kind: 'google', name: 'Google' }, CLI_ACTOR);
  await services.directorySources.configure(
    org.id,
    connection.id,
    'google',
    { credentials: { serviceAccountKey: account.keyFile, subject: ADMIN } },
    CLI_ACTOR,
  );
  await services.close();
  const env = {
    DATABASE_URL,
    SESSION_SECRET: BENCH_SESSION_SECRET,
    LOG_LEVEL: 'warn',
    GOOGLE_API_URL: google.url,
    GOOGLE_TOKEN_URL: google.tokenUrl,
    GOOGLE_REQUESTS_PER_MINUTE: String(QUOTA),
  };
  const auditCount = async (): Promise<number> =>
    Number((await store.db('audit_events').where({ org_id: org.id }).count<{ n: string }[]>({ n: '*' }))[0]!.n);

  process.stdout.write(
    `identity-bridge Google directory sync benchmark: ${USERS} users, ${GROUPS} groups, ${MEMBERSHIPS} memberships, ` +
      `PostgreSQL, sync paced at ${QUOTA} requests/min (${os.cpus().length} cores)\n\n`,
  );
  const calls = (): number => google.calls.users + google.calls.groups + google.calls.members;

  let before = calls();
  const first = await syncProcess(connection.id, env);
  const firstCalls = calls() - before;
  const c1 = first.run.counts!;
  line('initial sync', `${first.seconds.toFixed(1)} s  (${first.run.status})`);
  line('  seconds by phase (start-up in the first)', first.phases);
  line(
    '  users created / groups created / memberships added',
    `${c1.usersCreated} / ${c1.groupsCreated} / ${c1.membershipsAdded}`,
  );
  line(
    '  Directory API requests',
    `${firstCalls} (at Google's default 2,400/min: at least ${((firstCalls / 2400) * 60).toFixed(0)} s)`,
  );
  line('  peak RSS of the sync process', `${first.peakMb.toFixed(0)} MB`);

  // 1% of the directory changes: renames, suspensions, departures, group moves.
  const changed = Math.max(1, Math.floor(USERS / 100));
  const renamed = Math.floor(changed * 0.5);
  const suspended = Math.floor(changed * 0.2);
  const departed = Math.floor(changed * 0.1);
  const moved = changed - renamed - suspended - departed;
  for (let i = 0; i < renamed; i++) google.users[i * 7]!.name.fullName = `Renamed ${i}`;
  for (let i = 0; i < suspended; i++) google.users[1 + i * 11]!.suspended = true;
  for (let i = 0; i < departed; i++) google.removeUser(google.users[2 + i * 13]!.id);
  for (let i = 0; i < moved; i++) {
    const from = google.members.get(`group-${i % GROUPS}`)!;
    const member = from.shift()!;
    google.members.get(`group-${(i + 500) % GROUPS}`)!.push(member);
  }
  const auditBefore = await auditCount();
  before = calls();
  const second = await syncProcess(connection.id, env);
  const secondCalls = calls() - before;
  const c2 = second.run.counts!;
  const written = (await auditCount()) - auditBefore;
  line(
    `re-run with 1% changed (${changed} users, ${moved} moves)`,
    `${second.seconds.toFixed(1)} s  (${second.run.status})`,
  );
  line('  seconds by phase', second.phases);
  line(
    '  updated / deactivated / memberships + / -',
    `${c2.usersUpdated} / ${c2.usersDeactivated} / ${c2.membershipsAdded} / ${c2.membershipsRemoved}`,
  );
  line('  audit events written (one per change, plus the run)', String(written));
  line(
    '  Directory API requests',
    `${secondCalls} (at 2,400/min: at least ${((secondCalls / 2400) * 60).toFixed(0)} s)`,
  );
  line('  peak RSS of the sync process', `${second.peakMb.toFixed(0)} MB`);

  const auditQuiet = await auditCount();
  const third = await syncProcess(connection.id, env);
  line(
    're-run of the unchanged directory',
    `${third.seconds.toFixed(1)} s, ${(await auditCount()) - auditQuiet - 1} changes written`,
  );
  line('  seconds by phase', third.phases);
  line('  peak RSS of the sync process', `${third.peakMb.toFixed(0)} MB`);

  await store.close();
  await google.stop();
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});

/**
 * `npm run bench:events`: access history and webhooks under load, the built service as its
 * own process on PostgreSQL (BENCH_DATABASE_URL, default .../ib_bench_events, recreated),
 * delivering to a receiver in this process that verifies every signature.
 *  1. latency: Okta-shaped SCIM changes (user creates, deactivations, one-member adds to
 *     BENCH_MAPPED_GROUPS (20) mapped groups) at BENCH_EVENT_RATE (200) a second; per change,
 *     the time from the SCIM acknowledgement to the receipt of its event: p50, p99;
 *  2. throughput: BENCH_BACKLOG (20,000) events waiting, an endpoint turned on: events
 *     delivered a second;
 *  3. a mapping over BENCH_MAPPED_USERS (100,000) members: the admin API call that records
 *     their access changes, and the time until every access.changed is delivered; peak RSS;
 *  4. SCIM user creates at concurrency 8 with events off (EVENTS=false), on and delivered by
 *     the same instance to a receiver process of its own, and on with delivery left to other
 *     instances (WEBHOOK_DELIVERY=false): three rounds, each mode once in each position; medians, ratios to off.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Webhook } from 'standardwebhooks';
import { CLI_ACTOR } from '../src/domain/actor.js';
import { openStore } from '../src/store/open-store.js';
import type { Store } from '../src/store/store.js';
import { HttpClient, percentile, runConcurrent } from './http-load.js';
import { benchServices, dropDatabase, peakRssMb, recreateDatabase, startService } from './service-process.js';

const RATE = Number(process.env.BENCH_EVENT_RATE ?? 200);
const LATENCY_SECONDS = Number(process.env.BENCH_LATENCY_SECONDS ?? 20);
const BACKLOG = Number(process.env.BENCH_BACKLOG ?? 20_000);
const MAPPED_USERS = Number(process.env.BENCH_MAPPED_USERS ?? 100_000);
const WRITES = Number(process.env.BENCH_WRITES ?? 3_000);
const MAPPED_GROUPS = Number(process.env.BENCH_MAPPED_GROUPS ?? 20);
const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/ib_bench_events';
const ROOT = path.resolve(import.meta.dirname, '../..');
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const SERVICE_ENV = { OUTBOUND_ALLOWED_NETWORKS: '127.0.0.1' };

type Json = Record<string, unknown>;

/** The service's resident memory, sampled every 100 ms: the highest seen since the last reset. */
class RssSampler {
  private peak = 0;
  private readonly timer: NodeJS.Timeout;
  constructor(private readonly pid: number) {
    this.timer = setInterval(() => this.sample(), 100);
    this.timer.unref();
  }
  private sample(): void {
    try {
      const kb = Number(/VmRSS:\s+(\d+)\s+kB/.exec(fs.readFileSync(`/proc/${this.pid}/status`, 'utf8'))?.[1] ?? 0);
      this.peak = Math.max(this.peak, kb / 1024);
    } catch {
      // the process is gone
    }
  }
  /** The highest RSS since the previous call, in MB. */
  take(): number {
    this.sample();
    const peak = this.peak;
    this.peak = 0;
    return peak;
  }
  stop(): void {
    clearInterval(this.timer);
  }
}

function line(label: string, value: string): void {
  process.stdout.write(`${label.padEnd(58)} ${value}\n`);
}

/** Receives webhooks, verifies each signature, and tells who waits for which event. */
class Receiver {
  readonly server: http.Server;
  url = '';
  secret = '';
  private verifier: Webhook | undefined;
  received = 0;
  invalid = 0;
  readonly ids = new Set<string>();
  /** Called with each verified message and when it arrived. */
  onMessage: (message: { type: string; data: Json }, at: number) => void = () => undefined;

  constructor() {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const at = performance.now();
        const body = Buffer.concat(chunks).toString('utf8');
        try {
          const message = this.verifier!.verify(body, {
            'webhook-id': String(req.headers['webhook-id']),
            'webhook-timestamp': String(req.headers['webhook-timestamp']),
            'webhook-signature': String(req.headers['webhook-signature']),
          }) as { id: string; type: string; data: Json };
          this.received++;
          this.ids.add(message.id);
          this.onMessage(message, at);
        } catch {
          this.invalid++;
        }
        res.writeHead(204).end();
      });
    });
    this.server.keepAliveTimeout = 60_000;
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks`;
  }

  useSecret(secret: string): void {
    this.secret = secret;
    this.verifier = new Webhook(secret);
  }

  async until(predicate: () => boolean, timeoutMs: number): Promise<boolean> {
    const end = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > end) return false;
      await new Promise((r) => setTimeout(r, 5));
    }
    return true;
  }
}

async function insertChunked(store: Store, table: string, rows: Json[], chunk = 2_000): Promise<void> {
  for (let i = 0; i < rows.length; i += chunk) await store.db(table).insert(rows.slice(i, i + chunk));
}

interface Seeded {
  orgId: string;
  connectionId: string;
  scimToken: string;
  adminToken: string;
  /** Groups a mapping names (Okta pushes members of many groups; adds go round them). */
  mappedGroupIds: string[];
  bigGroupId: string;
  endpointId: string;
}

async function seed(store: Store, receiver: Receiver): Promise<Seeded> {
  const services = benchServices(store, { outboundAllowedNetworks: ['127.0.0.1'] });
  const org = await services.organizations.create('Bench Events Corp', CLI_ACTOR);
  const connection = await services.connections.create(org.id, { kind: 'okta', name: 'Okta' }, CLI_ACTOR);
  const scim = await services.scimTokens.issue(org.id, connection.id, CLI_ACTOR);
  const admin = await services.adminTokens.issue(org.id, CLI_ACTOR, { role: 'Admin' });
  await services.teams.create(
    org.id,
    { name: 'lab', scopes: ['devices:read-update'], deviceGroups: ['lab'] },
    CLI_ACTOR,
  );
  const at = new Date().toISOString();
  const group = (name: string) => ({
    id: randomUUID(),
    org_id: org.id,
    connection_id: connection.id,
    external_id: `00g-${name}`,
    display_name: name,
    display_name_lower: name.toLowerCase(),
    version: 1,
    created_at: at,
    updated_at: at,
  });
  const mapped = Array.from({ length: MAPPED_GROUPS }, (_, i) => group(`Test Lab ${i}`));
  const big = group('Everyone');
  await store.db('directory_groups').insert([...mapped, big]);
  for (const g of mapped) {
    await services.mappings.create(org.id, { connectionId: connection.id, group: g.id, teams: ['lab'] }, CLI_ACTOR);
  }
  // The big group's members: users the mapping of phase 3 reaches.
  const ids = Array.from({ length: MAPPED_USERS }, () => randomUUID());
  await insertChunked(
    store,
    'directory_users',
    ids.map((id, i) => ({
      id,
      org_id: org.id,
      connection_id: connection.id,
      external_id: `00u-big-${i}`,
      user_name: `member${i}@bench.example`,
      user_name_lower: `member${i}@bench.example`,
      active: true,
      version: 1,
      created_at: at,
      updated_at: at,
    })),
  );
  await store.db.raw('ANALYZE');
  await insertChunked(
    store,
    'group_memberships',
    ids.map((id) => ({ org_id: org.id, group_id: big.id, user_id: id, created_at: at })),
    5_000,
  );
  await store.db.raw('ANALYZE');
  const { endpoint, secret } = await services.webhooks.create(
    org.id,
    { url: receiver.url, eventTypes: ['user.created', 'user.deactivated', 'group.members_added', 'access.changed'] },
    CLI_ACTOR,
  );
  receiver.useSecret(secret!);
  await services.close();
  return {
    orgId: org.id,
    connectionId: connection.id,
    scimToken: scim.token,
    adminToken: admin.token,
    mappedGroupIds: mapped.map((g) => g.id),
    bigGroupId: big.id,
    endpointId: endpoint.id,
  };
}

/** Phase 1: paced Okta-shaped changes; per change, acknowledgement → receipt. */
async function latency(url: string, s: Seeded, receiver: Receiver): Promise<void> {
  const scim = new HttpClient(url, s.scimToken, 16);
  const acked = new Map<string, number>();
  const latencies: number[] = [];
  receiver.onMessage = (m, at) => {
    const user = m.data.user as { userName?: string } | undefined;
    const users = m.data.users as Array<{ userName: string }> | undefined;
    const key =
      m.type === 'group.members_added' ? `add:${users?.[0]?.userName ?? ''}` : `${m.type}:${user?.userName ?? ''}`;
    const ack = acked.get(key);
    if (ack !== undefined) {
      latencies.push(at - ack);
      acked.delete(key);
    }
  };
  const total = RATE * LATENCY_SECONDS;
  const created: Array<{ id: string; userName: string }> = [];
  const toAdd: Array<{ id: string; userName: string }> = [];
  const started = performance.now();
  const inFlight: Array<Promise<void>> = [];
  let errors = 0;
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const kind = i % 4;
    const task = async (): Promise<void> => {
      if (kind === 3 && created.length > 2) {
        // Okta deactivates a user.
        const u = created.shift()!;
        const r = await scim.request('PATCH', `/Users/${u.id}`, {
          schemas: [PATCH_OP],
          Operations: [{ op: 'replace', value: { active: false } }],
        });
        if (r.status !== 200) errors++;
        else acked.set(`user.deactivated:${u.userName}`, performance.now());
      } else if (kind === 2 && toAdd.length > 0) {
        // Okta adds one member to a mapped group (someone not in it yet).
        const u = toAdd.pop()!;
        const group = s.mappedGroupIds[i % s.mappedGroupIds.length]!;
        const r = await scim.request('PATCH', `/Groups/${group}`, {
          schemas: [PATCH_OP],
          Operations: [{ op: 'add', path: 'members', value: [{ value: u.id }] }],
        });
        if (r.status !== 204) errors++;
        else acked.set(`add:${u.userName}`, performance.now());
      } else {
        const userName = `paced${i}@bench.example`;
        const r = await scim.request('POST', '/Users', {
          schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
          userName,
          name: { givenName: 'Paced', familyName: String(i) },
          emails: [{ primary: true, value: userName, type: 'work' }],
          active: true,
        });
        if (r.status !== 201) errors++;
        else {
          acked.set(`user.created:${userName}`, performance.now());
          const user = { id: (JSON.parse(r.body) as { id: string }).id, userName };
          created.push(user);
          toAdd.push(user);
        }
      }
    };
    inFlight.push(task());
  }
  await Promise.all(inFlight);
  await receiver.until(() => acked.size === 0, 30_000);
  scim.close();
  line(
    `acknowledgement → receipt, ${RATE} changes/s for ${LATENCY_SECONDS} s`,
    `p50 ${percentile(latencies, 50).toFixed(0)} ms, p99 ${percentile(latencies, 99).toFixed(0)} ms, max ${percentile(latencies, 100).toFixed(0)} ms (${latencies.length} changes, ${acked.size} never received, ${errors} SCIM errors)`,
  );
  receiver.onMessage = () => undefined;
}

/** Phase 2: a backlog of events, then the endpoint turned on: deliveries a second. */
async function throughput(url: string, store: Store, s: Seeded, receiver: Receiver): Promise<void> {
  const admin = new HttpClient(url, s.adminToken, 2, '/admin/api/v1');
  await admin.request('PATCH', `/webhooks/${s.endpointId}`, { enabled: false });
  const at = new Date().toISOString();
  const events = Array.from({ length: BACKLOG }, (_, i) => ({
    id: `evt_${randomUUID().replaceAll('-', '')}`,
    org_id: s.orgId,
    type: 'user.deactivated',
    occurred_at: at,
    subject_user_id: randomUUID(),
    data: JSON.stringify({ user: { id: `u${i}`, userName: `backlog${i}@bench.example` } }),
  }));
  await insertChunked(store, 'events', events, 2_000);
  const before = receiver.received;
  const started = performance.now();
  await admin.request('PATCH', `/webhooks/${s.endpointId}`, { enabled: true });
  const done = await receiver.until(() => receiver.received - before >= BACKLOG, 120_000);
  const seconds = (performance.now() - started) / 1000;
  admin.close();
  line(
    `delivery throughput, ${BACKLOG} events waiting`,
    `${((receiver.received - before) / seconds).toFixed(0)} events/s (${receiver.received - before} in ${seconds.toFixed(1)} s${done ? '' : ', INCOMPLETE'})`,
  );
}

/** Phase 3: a mapping over the big group: recorded in the admin call, then delivered. */
async function bigMapping(url: string, s: Seeded, receiver: Receiver, pid: number): Promise<void> {
  const admin = new HttpClient(url, s.adminToken, 2, '/admin/api/v1');
  let changed = 0;
  receiver.onMessage = (m) => {
    if (m.type === 'access.changed') changed++;
  };
  const started = performance.now();
  const res = await admin.request('POST', '/mappings', {
    connectionId: s.connectionId,
    group: s.bigGroupId,
    teams: ['lab'],
  });
  const recordedMs = performance.now() - started;
  if (res.status >= 300) throw new Error(`mapping refused: ${res.status} ${res.body.slice(0, 300)}`);
  const done = await receiver.until(() => changed >= MAPPED_USERS, 300_000);
  const deliveredS = (performance.now() - started) / 1000;
  admin.close();
  line(
    `mapping over ${MAPPED_USERS} members: access changes recorded`,
    `${(recordedMs / 1000).toFixed(1)} s (the admin call, one transaction)`,
  );
  line(
    `  every access.changed delivered`,
    `${deliveredS.toFixed(1)} s after the call (${changed} received${done ? '' : ', INCOMPLETE'})`,
  );
  line('  service peak RSS', `${peakRssMb(pid).toFixed(0)} MB`);
  receiver.onMessage = () => undefined;
}

/** A receiver in a process of its own answering 204 (phase 4: its work must not slow the SCIM client). */
async function startSinkProcess(): Promise<{ url: string; stop: () => void }> {
  const code = `const s=require('http').createServer((q,r)=>{q.resume();q.on('end',()=>r.writeHead(204).end())});
    s.keepAliveTimeout=60000;s.listen(0,'127.0.0.1',()=>process.stdout.write(String(s.address().port)+'\\n'));`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve) =>
    child.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim())),
  );
  return { url: `http://127.0.0.1:${port}/hooks`, stop: () => child.kill('SIGTERM') };
}

type WriteMode = 'off' | 'on' | 'outbox only';

/** Phase 4: SCIM user creates at concurrency 8 with events off, on (delivered here), on (delivered elsewhere). */
async function writes(s: Seeded, mode: WriteMode, round: number): Promise<number> {
  const env: Record<string, string> =
    mode === 'off'
      ? { EVENTS: 'false' }
      : mode === 'on'
        ? { EVENTS: 'true' }
        : { EVENTS: 'true', WEBHOOK_DELIVERY: 'false' };
  const { child, url } = await startService(DATABASE_URL, { ...SERVICE_ENV, ...env });
  try {
    const scim = new HttpClient(url, s.scimToken, 8);
    const stats = await runConcurrent(WRITES, 8, (i) => {
      const userName = `w${round}-${mode.replace(' ', '-')}-${i}@bench.example`;
      return scim.request('POST', '/Users', {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        userName,
        emails: [{ primary: true, value: userName, type: 'work' }],
        active: true,
      });
    });
    scim.close();
    return stats.perSecond;
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}

async function main(): Promise<void> {
  if (!fs.existsSync(path.join(ROOT, 'dist/src/main.js'))) throw new Error('run `npm run build` first');
  await recreateDatabase(DATABASE_URL);
  const receiver = new Receiver();
  await receiver.listen();
  const store = await openStore({ client: 'pg', url: DATABASE_URL, poolMax: 4 }, { migrate: true });
  const seeded = await seed(store, receiver);
  process.stdout.write(
    `identity-bridge events benchmark: webhooks to a local receiver, PostgreSQL, ${MAPPED_USERS} users in the big group\n\n`,
  );
  const { child, url } = await startService(DATABASE_URL, SERVICE_ENV);
  const rss = new RssSampler(child.pid!);
  try {
    // BENCH_ONLY=writes runs only the SCIM write comparison.
    if (process.env.BENCH_ONLY !== 'writes') {
      await latency(url, seeded, receiver);
      line('  service RSS (highest during the phase)', `${rss.take().toFixed(0)} MB`);
      await throughput(url, store, seeded, receiver);
      line('  service RSS (highest during the phase)', `${rss.take().toFixed(0)} MB`);
      await bigMapping(url, seeded, receiver, child.pid!);
      line('  service RSS (highest during the phase)', `${rss.take().toFixed(0)} MB`);
    }
  } finally {
    rss.stop();
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
  line('signatures that did not verify', String(receiver.invalid));

  // The endpoint now takes every user.created from a receiver in its own process.
  const sink = await startSinkProcess();
  const services = benchServices(store, { outboundAllowedNetworks: ['127.0.0.1'] });
  await services.webhooks.update(
    seeded.orgId,
    seeded.endpointId,
    { url: sink.url, eventTypes: ['user.created'] },
    CLI_ACTOR,
  );
  await services.close();
  const modes: WriteMode[] = ['off', 'on', 'outbox only'];
  const rates = new Map<WriteMode, number[]>(modes.map((m) => [m, []]));
  // Each mode runs once in each position of a round: the database grows as rounds go, and a
  // fixed order would credit that to whichever mode runs first.
  for (let round = 0; round < modes.length; round++) {
    for (let k = 0; k < modes.length; k++) {
      const mode = modes[(round + k) % modes.length]!;
      rates.get(mode)!.push(await writes(seeded, mode, round));
    }
  }
  sink.stop();
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
  const off = median(rates.get('off')!);
  for (const mode of modes) {
    const r = rates.get(mode)!;
    line(
      `SCIM user creates, concurrency 8, events ${mode}`,
      `median ${median(r).toFixed(0)}/s (${r.map((v) => v.toFixed(0)).join(', ')})${mode === 'off' ? '' : `; ${(median(r) / off).toFixed(2)} of off`}`,
    );
  }
  await store.close();
  receiver.server.closeAllConnections();
  receiver.server.close();
  await dropDatabase(DATABASE_URL);
}

main().catch((error: unknown) => {
  process.stderr.write(`${String((error as Error).stack ?? error)}\n`);
  process.exit(1);
});

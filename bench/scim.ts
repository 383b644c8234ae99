/**
 * `npm run bench:scim`: an Okta-shaped SCIM load against the built service, on PostgreSQL
 * and on the embedded SQLite, printing throughput, latencies, paging costs, the server's
 * peak RSS, and the steady-state phases side by side with the bare reference server
 * (steady-state.ts, reference-server.ts): ours, the limit, and ours/limit per phase.
 *
 * The service runs as its own process (node dist/src/main.js) on a fresh database
 * (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/ib_bench, dropped and
 * recreated; a new SQLite file in a temporary folder). Phases: initial sync (users, groups,
 * 50-member PATCHes), VACUUM ANALYZE, 1-member PATCHes, userName lookups, a walk of every
 * user by offset and by cursor, one-member add/remove latency on a small and a very large
 * group, then the steady state. BENCH_DATABASES=pg or =sqlite runs one of them.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { CLI_ACTOR } from '../src/domain/actor.js';
import { openStore } from '../src/store/open-store.js';
import { describeCpu } from './cpu-usage.js';
import { HttpClient, percentile, runConcurrent, type RunStats } from './http-load.js';
import {
  benchServices,
  dropDatabase,
  peakRssMb,
  recreateDatabase,
  startReference,
  startService,
} from './service-process.js';
import { DEFAULT_SIZES, runSteadyState, type PhaseFigures } from './steady-state.js';
import type { DatabaseConfig } from '../src/config/config.js';

const USERS = Number(process.env.BENCH_USERS ?? 100_000);
const GROUPS = Number(process.env.BENCH_GROUPS ?? 1_000);
const MEMBERSHIPS = Number(process.env.BENCH_MEMBERSHIPS ?? 500_000);
const CONCURRENCY = 8;
const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/ib_bench';
const ROOT = path.resolve(import.meta.dirname, '../..');
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

type Json = Record<string, unknown>;

function line(label: string, value: string): void {
  process.stdout.write(`${label.padEnd(58)} ${value}\n`);
}

function rate(s: RunStats, unit: string, multiplier = 1): string {
  return `${(s.perSecond * multiplier).toFixed(0)} ${unit}/s  (${s.count} requests in ${s.seconds.toFixed(1)} s, median ${s.medianMs.toFixed(1)} ms, p95 ${s.p95Ms.toFixed(1)} ms)`;
}

async function timed(n: number, fn: () => Promise<number>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(await fn());
  return out;
}

type Dialect = 'pg' | 'sqlite';

/** A fresh database of the dialect, migrated, with one org, its Okta connection and a SCIM token. */
async function prepare(dialect: Dialect): Promise<{
  url: string;
  refDatabase: string;
  orgId: string;
  connectionId: string;
  token: string;
  drop: () => Promise<void>;
}> {
  let config: DatabaseConfig;
  let url: string;
  let refDatabase: string;
  let drop: () => Promise<void>;
  if (dialect === 'pg') {
    await recreateDatabase(DATABASE_URL);
    config = { client: 'pg', url: DATABASE_URL, poolMax: 2 };
    url = refDatabase = DATABASE_URL;
    drop = () => dropDatabase(DATABASE_URL);
  } else {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ib-bench-'));
    const file = path.join(dir, 'identity-bridge.sqlite');
    config = { client: 'sqlite', filename: file };
    url = refDatabase = `sqlite:${file}`;
    drop = () => Promise.resolve(fs.rmSync(dir, { recursive: true, force: true }));
  }
  const store = await openStore(config, { migrate: true });
  const services = benchServices(store);
  const org = await services.organizations.create('Bench Corp', CLI_ACTOR);
  const connection = await services.connections.create(org.id, { kind: 'okta', name: 'Okta' }, CLI_ACTOR);
  const { token } = await services.scimTokens.issue(org.id, connection.id, CLI_ACTOR);
  await store.close();
  return { url, refDatabase, orgId: org.id, connectionId: connection.id, token, drop };
}

async function bench(
  dialect: Dialect,
): Promise<{ figures: PhaseFigures[]; concurrencyOne: { ours: number; limit: number } }> {
  const db = await prepare(dialect);
  const { child, url } = await startService(db.url);
  const http = new HttpClient(url, db.token, CONCURRENCY);
  process.stdout.write(
    `identity-bridge SCIM benchmark: ${USERS} users, ${GROUPS} groups, ${MEMBERSHIPS} memberships, concurrency ${CONCURRENCY}, ${dialect === 'pg' ? 'PostgreSQL' : 'SQLite'}\n\n`,
  );

  try {
    const syncStarted = performance.now();
    const userIds: string[] = new Array(USERS);
    const created = await runConcurrent(USERS, CONCURRENCY, async (i) => {
      const r = await http.request('POST', '/Users', {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        userName: `user${i}@bench.example`,
        name: { givenName: `Given${i}`, familyName: `Family${i}` },
        emails: [{ primary: true, value: `user${i}@bench.example`, type: 'work' }],
        displayName: `User ${i}`,
        locale: 'en-US',
        externalId: `00u${i}`,
        groups: [],
        password: 'placeholder',
        active: true,
      });
      if (r.status === 201) userIds[i] = (JSON.parse(r.body) as Json).id as string;
      return r;
    });
    line('users created', rate(created, 'users'));

    const groupIds: string[] = new Array(GROUPS);
    const groups = await runConcurrent(GROUPS, CONCURRENCY, async (i) => {
      const r = await http.request('POST', '/Groups', {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
        displayName: `Group ${i}`,
        members: [],
      });
      if (r.status === 201) groupIds[i] = (JSON.parse(r.body) as Json).id as string;
      return r;
    });
    line('groups created', rate(groups, 'groups'));

    const perGroup = Math.floor(MEMBERSHIPS / GROUPS);
    const batches = Math.ceil(perGroup / 50);
    const fifty = await runConcurrent(GROUPS * batches, CONCURRENCY, (i) => {
      const g = i % GROUPS;
      const b = Math.floor(i / GROUPS);
      const value = Array.from({ length: 50 }, (_, k) => ({ value: userIds[(g * perGroup + b * 50 + k) % USERS] }));
      return http.request('PATCH', `/Groups/${groupIds[g]}`, {
        schemas: [PATCH_OP],
        Operations: [{ op: 'add', path: 'members', value }],
      });
    });
    line('members added, 50-member PATCHes', rate(fifty, 'members', 50));
    const syncSeconds = (performance.now() - syncStarted) / 1000;
    line('initial sync (users + groups + memberships)', `${syncSeconds.toFixed(1)} s`);

    // The read phases measure steady state, not reads racing autovacuum over the rows the
    // sync just wrote: run the VACUUM ANALYZE an operator runs after a bulk load, and report it.
    const settled = performance.now();
    if (dialect === 'pg') {
      const maintenance = new pg.Client({ connectionString: DATABASE_URL });
      await maintenance.connect();
      await maintenance.query(
        'VACUUM (ANALYZE) directory_users, directory_user_values, directory_groups, group_memberships',
      );
      await maintenance.end();
    }
    line('VACUUM ANALYZE after the sync', `${((performance.now() - settled) / 1000).toFixed(1)} s`);

    const one = await runConcurrent(5_000, CONCURRENCY, (i) => {
      const g = i % GROUPS;
      const value = [{ value: userIds[(g * perGroup + perGroup + Math.floor(i / GROUPS)) % USERS] }];
      return http.request('PATCH', `/Groups/${groupIds[g]}`, {
        schemas: [PATCH_OP],
        Operations: [{ op: 'add', path: 'members', value }],
      });
    });
    line('members added, 1-member PATCHes', rate(one, 'members'));

    const lookups = await runConcurrent(20_000, CONCURRENCY, (i) => {
      const n = (i * 7919) % USERS;
      return http.request(
        'GET',
        `/Users?filter=${encodeURIComponent(`userName eq "USER${n}@bench.example"`)}&startIndex=1&count=100`,
      );
    });
    line('userName eq lookups', rate(lookups, 'lookups'));

    const pageSize = 100;
    const pages = Math.ceil(USERS / pageSize);
    let walked = 0;
    const offsetStart = performance.now();
    for (let p = 0; p < pages; p++) {
      const r = await http.request('GET', `/Users?startIndex=${p * pageSize + 1}&count=${pageSize}`);
      walked += (JSON.parse(r.body) as { Resources: unknown[] }).Resources.length;
    }
    const offsetSeconds = (performance.now() - offsetStart) / 1000;
    line(
      'offset walk, count=100',
      `${(pages / offsetSeconds).toFixed(0)} pages/s  (${walked} users in ${offsetSeconds.toFixed(1)} s)`,
    );
    const firstOffset = await timed(
      30,
      async () => (await http.request('GET', `/Users?startIndex=1&count=${pageSize}`)).ms,
    );
    const lastOffset = await timed(
      30,
      async () => (await http.request('GET', `/Users?startIndex=${(pages - 1) * pageSize + 1}&count=${pageSize}`)).ms,
    );
    const f = percentile(firstOffset, 50);
    const l = percentile(lastOffset, 50);
    line(
      'offset page latency, first vs deepest (median of 30)',
      `${f.toFixed(1)} ms vs ${l.toFixed(1)} ms  (ratio ${(l / f).toFixed(2)})`,
    );

    let cursor = '';
    let cursorPages = 0;
    let cursorUsers = 0;
    const cursorLatencies: number[] = [];
    const cursorStart = performance.now();
    for (;;) {
      const r = await http.request('GET', `/Users?count=${pageSize}&cursor=${encodeURIComponent(cursor)}`);
      cursorLatencies.push(r.ms);
      const body = JSON.parse(r.body) as { Resources: unknown[]; nextCursor?: string };
      cursorPages++;
      cursorUsers += body.Resources.length;
      if (!body.nextCursor) break;
      cursor = body.nextCursor;
    }
    const cursorSeconds = (performance.now() - cursorStart) / 1000;
    line(
      'cursor walk, count=100',
      `${(cursorPages / cursorSeconds).toFixed(0)} pages/s  (${cursorUsers} users in ${cursorSeconds.toFixed(1)} s)`,
    );
    const head = percentile(cursorLatencies.slice(0, 50), 50);
    const tail = percentile(cursorLatencies.slice(-50), 50);
    line(
      'cursor page latency, first 50 vs last 50 pages (median)',
      `${head.toFixed(1)} ms vs ${tail.toFixed(1)} ms  (ratio ${(tail / head).toFixed(2)})`,
    );

    const small = (
      JSON.parse(
        (
          await http.request('POST', '/Groups', {
            displayName: 'Small',
            members: userIds.slice(0, 100).map((value) => ({ value })),
          })
        ).body,
      ) as Json
    ).id as string;
    const large = (
      JSON.parse((await http.request('POST', '/Groups', { displayName: 'Large', members: [] })).body) as Json
    ).id as string;
    for (let i = 0; i < USERS; i += 1000) {
      await http.request('PATCH', `/Groups/${large}`, {
        schemas: [PATCH_OP],
        Operations: [{ op: 'add', path: 'members', value: userIds.slice(i, i + 1000).map((value) => ({ value })) }],
      });
    }
    const extra = (
      JSON.parse((await http.request('POST', '/Users', { userName: 'outsider@bench.example' })).body) as Json
    ).id as string;
    const oneMember = async (group: string): Promise<number[]> => {
      const times: number[] = [];
      for (let i = 0; i < 100; i++) {
        const add = await http.request('PATCH', `/Groups/${group}`, {
          schemas: [PATCH_OP],
          Operations: [{ op: 'add', path: 'members', value: [{ value: extra }] }],
        });
        const remove = await http.request('PATCH', `/Groups/${group}`, {
          schemas: [PATCH_OP],
          Operations: [{ op: 'remove', path: `members[value eq "${extra}"]` }],
        });
        if (add.status !== 204 || remove.status !== 204) throw new Error('one-member change failed');
        times.push(add.ms, remove.ms);
      }
      return times;
    };
    await oneMember(small);
    const smallTimes = await oneMember(small);
    const largeTimes = await oneMember(large);
    const s = percentile(smallTimes, 50);
    const g = percentile(largeTimes, 50);
    line('one-member add/remove, 100-member group (median)', `${s.toFixed(2)} ms`);
    line(`one-member add/remove, ${USERS}-member group (median)`, `${g.toFixed(2)} ms  (ratio ${(g / s).toFixed(2)})`);
    line('server peak RSS after the initial sync', `${peakRssMb(child.pid!).toFixed(0)} MB`);

    process.stdout.write('\nsteady state against the bare reference server, same database, same concurrency:\n');
    const reference = await startReference(db.refDatabase, db.orgId, db.connectionId);
    const limit = new HttpClient(reference.url, '', CONCURRENCY, '');
    try {
      const sizes = {
        ...DEFAULT_SIZES,
        rounds: Number(process.env.BENCH_ROUNDS ?? DEFAULT_SIZES.rounds),
        concurrency: CONCURRENCY,
      };
      const steady = await runSteadyState(
        {
          ours: http,
          limit,
          userIds,
          userNames: userIds.map((_, i) => `user${i}@bench.example`),
          sizes,
          oursPid: child.pid,
          limitPid: reference.child.pid,
          databaseProcesses: dialect === 'pg',
          designRows: dialect === 'pg',
        },
        (text) => process.stdout.write(`${text}\n`),
      );
      line('server peak RSS', `${peakRssMb(child.pid!).toFixed(0)} MB`);
      return steady;
    } finally {
      limit.close();
      reference.child.kill('SIGTERM');
    }
  } finally {
    http.close();
    child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    await db.drop();
  }
}

function table(
  title: string,
  result: { figures: PhaseFigures[]; concurrencyOne: { ours: number; limit: number } },
): void {
  process.stdout.write(`\n${title}: medians of the rounds, requests/s (p99 ms)\n`);
  process.stdout.write(
    `${'phase'.padEnd(40)} ${'ours'.padStart(16)} ${'limit'.padStart(16)} ${'ours/limit'.padStart(10)}\n`,
  );
  for (const f of result.figures) {
    const ours = `${f.ours.toFixed(0)} (${f.oursP99Ms.toFixed(0)})`;
    const limit = f.limit === undefined ? '-' : `${f.limit.toFixed(0)} (${(f.limitP99Ms ?? 0).toFixed(0)})`;
    const ratio = f.limit === undefined ? '-' : (f.ours / f.limit).toFixed(2);
    process.stdout.write(`${f.phase.padEnd(40)} ${ours.padStart(16)} ${limit.padStart(16)} ${ratio.padStart(10)}\n`);
  }
  const withDesign = result.figures.filter((f) => f.design !== undefined && f.limit !== undefined);
  if (withDesign.length > 0) {
    process.stdout.write(
      `\n${title}: the writes against the limit with the rows the design keeps in the same transaction (audit, outbox,\n` +
        `access state and history, sessions, announcement; the group's version), requests/s (p99 ms)\n`,
    );
    process.stdout.write(
      `${'phase'.padEnd(40)} ${'design rows'.padStart(16)} ${'ours/design'.padStart(12)} ${'design/limit'.padStart(13)}\n`,
    );
    for (const f of withDesign) {
      const design = `${f.design!.toFixed(0)} (${(f.designP99Ms ?? 0).toFixed(0)})`;
      process.stdout.write(
        `${f.phase.padEnd(40)} ${design.padStart(16)} ${(f.ours / f.design!).toFixed(2).padStart(12)} ${(f.design! / f.limit!).toFixed(2).padStart(13)}\n`,
      );
    }
  }
  const { ours, limit } = result.concurrencyOne;
  process.stdout.write(
    `${'one-member add+remove, concurrency 1'.padEnd(40)} ${ours.toFixed(0).padStart(16)} ${limit.toFixed(0).padStart(16)} ${(ours / limit).toFixed(2).padStart(10)}\n`,
  );
  const add = result.figures.find((f) => f.phase.startsWith('one-member add'));
  const remove = result.figures.find((f) => f.phase.startsWith('one-member remove'));
  if (add && remove) {
    process.stdout.write(
      `one-member PATCH at concurrency ${CONCURRENCY} vs 1: add ${(add.ours / ours).toFixed(1)}x, remove ${(remove.ours / ours).toFixed(1)}x\n`,
    );
  }
  const withCpu = result.figures.filter((f) => f.oursCpu && f.limitCpu);
  if (withCpu.length > 0) {
    process.stdout.write(
      `\n${title}: CPU per request in ms (server, database, load generator) and the machine's idle share, medians of the rounds\n`,
    );
    for (const f of withCpu) {
      const design = f.designCpu ? `; design rows ${describeCpu(f.designCpu)}` : '';
      process.stdout.write(
        `${f.phase.padEnd(40)} ours ${describeCpu(f.oursCpu)}; limit ${describeCpu(f.limitCpu)}${design}\n`,
      );
    }
  }
}

async function main(): Promise<void> {
  if (!fs.existsSync(path.join(ROOT, 'dist/src/main.js'))) throw new Error('run `npm run build` first');
  const dialects = (process.env.BENCH_DATABASES ?? 'pg,sqlite').split(',').map((d) => d.trim()) as Dialect[];
  const results = new Map<Dialect, Awaited<ReturnType<typeof bench>>>();
  for (const dialect of dialects) {
    results.set(dialect, await bench(dialect));
    process.stdout.write('\n');
  }
  for (const [dialect, result] of results) table(dialect === 'pg' ? 'PostgreSQL' : 'SQLite', result);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});

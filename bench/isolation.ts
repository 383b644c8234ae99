/**
 * `npm run bench:isolation`: one tenant attacks with the most expensive SCIM filters the
 * bounds allow while another does ordinary Okta-shaped provisioning, on PostgreSQL and on
 * the embedded SQLite. Prints the second tenant's latency unloaded and under attack (the
 * target: p99 at most 3x, no error), whether /readyz stayed 200, what the attacker got,
 * the service's longest event-loop stall, and PostgreSQL's planning time for filters of
 * 10, 20 and 40 collection terms compiled as grouped joins against one EXISTS per term.
 *
 * Settings: BENCH_DIALECTS (pg,sqlite), BENCH_DATABASE_URL (PostgreSQL, default
 * postgres://postgres@127.0.0.1:5432/ib_bench_isolation, dropped and recreated),
 * BENCH_ATTACKER_USERS (10000), BENCH_ATTACK_SECONDS (30), BENCH_BASELINE_SECONDS (20).
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { CLI_ACTOR } from '../src/domain/actor.js';
import type { DatabaseConfig } from '../src/config/config.js';
import type { DirectoryGroup, DirectoryUser } from '../src/domain/directory.js';
import { parseFilter } from '../src/scim/filter/parse-filter.js';
import { resolveUserFilter } from '../src/scim/filter/resolve-filter.js';
import { openStore } from '../src/store/open-store.js';
import { compileUserFilter } from '../src/store/repositories/filter-sql.js';
import { scopedQuery } from '../src/store/repositories/listing.js';
import type { Store } from '../src/store/store.js';
import { HttpClient, percentile, type HttpResult } from './http-load.js';
import { benchServices, recreateDatabase, startService } from './service-process.js';

const DIALECTS = (process.env.BENCH_DIALECTS ?? 'pg,sqlite').split(',').map((d) => d.trim());
const PG_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/ib_bench_isolation';
const ATTACKER_USERS = Number(process.env.BENCH_ATTACKER_USERS ?? 10_000);
const VICTIM_USERS = 2_000;
const GROUPS = 100;
const ATTACK_SECONDS = Number(process.env.BENCH_ATTACK_SECONDS ?? 30);
const BASELINE_SECONDS = Number(process.env.BENCH_BASELINE_SECONDS ?? 20);
const ATTACK_CONCURRENCY = 10;
const VICTIM_CONCURRENCY = 2;
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

type Json = Record<string, unknown>;

function line(label: string, value: string): void {
  process.stdout.write(`  ${label.padEnd(52)} ${value}\n`);
}

function user(orgId: string, connectionId: string, i: number, domain: string): DirectoryUser {
  const at = new Date(Date.now() - 1000 * 60 + i).toISOString();
  const name = `user${i}@${domain}`;
  return {
    id: randomUUID(),
    orgId,
    connectionId,
    externalId: `00u${i}`,
    userName: name,
    active: true,
    displayName: `User ${i}`,
    nickName: null,
    profileUrl: null,
    title: i % 3 ? 'Engineer' : 'Manager',
    userType: null,
    preferredLanguage: null,
    locale: 'en-US',
    timezone: null,
    name: {
      formatted: null,
      familyName: `Family${i}`,
      givenName: `Given${i}`,
      middleName: null,
      honorificPrefix: null,
      honorificSuffix: null,
    },
    enterprise: {
      employeeNumber: String(i),
      costCenter: null,
      organization: null,
      division: null,
      department: `Dept${i % 20}`,
      managerValue: null,
      managerDisplayName: null,
    },
    multiValued: {
      emails: [
        { type: 'work', value: name, display: null, primary: true, subAttributes: null },
        { type: 'home', value: `u${i}@home.example`, display: null, primary: false, subAttributes: null },
      ],
      phoneNumbers: [
        {
          type: 'work',
          value: `+1555${String(i).padStart(7, '0')}`,
          display: null,
          primary: true,
          subAttributes: null,
        },
      ],
    },
    extensions: null,
    version: 1,
    createdAt: at,
    updatedAt: at,
  };
}

interface Tenant {
  readonly orgId: string;
  readonly token: string;
  readonly userIds: string[];
  readonly groupIds: string[];
}

/** An org with a connection, `users` users and GROUPS groups of about five memberships per user, written through the repositories. */
async function seedTenant(store: Store, name: string, users: number): Promise<Tenant> {
  const services = benchServices(store);
  const org = await services.organizations.create(name, CLI_ACTOR);
  const connection = await services.connections.create(org.id, { kind: 'okta', name: 'Okta' }, CLI_ACTOR);
  const { token } = await services.scimTokens.issue(org.id, connection.id, CLI_ACTOR);
  const domain = `${org.slug}.example`;
  const userIds: string[] = [];
  for (let start = 0; start < users; start += 500) {
    await store.transaction(async (repos) => {
      for (let i = start; i < Math.min(users, start + 500); i++) {
        const u = user(org.id, connection.id, i, domain);
        await repos.users.insert(u);
        userIds.push(u.id);
      }
    });
  }
  const groupIds: string[] = [];
  for (let g = 0; g < GROUPS; g++) {
    const at = new Date().toISOString();
    const group: DirectoryGroup = {
      id: randomUUID(),
      orgId: org.id,
      connectionId: connection.id,
      externalId: `00g${g}`,
      displayName: `Group ${g}`,
      extensions: null,
      version: 1,
      createdAt: at,
      updatedAt: at,
    };
    await store.transaction(async (repos) => {
      await repos.groups.insert(group);
      const members = userIds.filter((_, i) => (i * 7 + g) % GROUPS < 5);
      await repos.groups.addMembers(org.id, group.id, members, at);
    });
    groupIds.push(group.id);
  }
  return { orgId: org.id, token, userIds, groupIds };
}

/** The worst filters the bounds allow: 50 comparisons no index can narrow, over every kind of attribute. */
function worstFilters(tenant: Tenant): string[] {
  const ids = tenant.groupIds;
  const groupTerms = Array.from({ length: 50 }, (_, i) => `groups.value eq "${ids[i % ids.length]}-x"`).join(' or ');
  const kinds = [
    (i: number) => `emails.value co "zz${i}q"`,
    (i: number) => `phoneNumbers.value co "99${i}9"`,
    (i: number) => `groups.display co "nope${i}"`,
    (i: number) => `name.familyName co "qq${i}"`,
    (i: number) => `emails[type eq "work" and value ew "${i}@nowhere"]`,
  ];
  const mixed = Array.from({ length: 40 }, (_, i) => kinds[i % kinds.length]!(i)).join(' or ');
  const nested = Array.from({ length: 25 }, (_, i) => `(title co "x${i}" and not (emails.value sw "n${i}"))`).join(
    ' or ',
  );
  return [groupTerms, mixed, nested].map((f) => {
    if (f.length > 4096) throw new Error(`filter too long: ${f.length}`);
    return encodeURIComponent(f);
  });
}

/** Okta-shaped provisioning, one step at a time: lookups before creates, profile pushes, one-member group changes, deactivations. */
function victimStep(http: HttpClient, tenant: Tenant, created: string[]): (i: number) => Promise<HttpResult> {
  return async (i) => {
    const pick = i % 10;
    const someone = tenant.userIds[(i * 37) % tenant.userIds.length]!;
    const group = tenant.groupIds[(i * 13) % tenant.groupIds.length]!;
    if (pick < 3)
      return http.request(
        'GET',
        `/Users?filter=${encodeURIComponent(`userName eq "user${(i * 31) % VICTIM_USERS}@victim-corp.example"`)}&startIndex=1&count=100`,
      );
    if (pick === 3) {
      const r = await http.request('POST', '/Users', {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        userName: `new${i}-${randomUUID().slice(0, 8)}@victim-corp.example`,
        name: { givenName: 'New', familyName: `Hire${i}` },
        emails: [{ primary: true, value: `new${i}@victim-corp.example`, type: 'work' }],
        active: true,
      });
      if (r.status === 201) created.push((JSON.parse(r.body) as Json).id as string);
      return r;
    }
    if (pick === 4) return http.request('GET', `/Users/${someone}`);
    if (pick === 5 || pick === 6) {
      return http.request('PATCH', `/Groups/${group}`, {
        schemas: [PATCH_OP],
        Operations: [{ op: pick === 5 ? 'add' : 'remove', path: 'members', value: [{ value: someone }] }],
      });
    }
    if (pick === 7 && created.length > 0) {
      return http.request('PATCH', `/Users/${created.shift()!}`, {
        schemas: [PATCH_OP],
        Operations: [{ op: 'replace', value: { active: false } }],
      });
    }
    if (pick === 8)
      return http.request(
        'GET',
        `/Groups?filter=${encodeURIComponent(`displayName eq "Group ${i % GROUPS}"`)}&excludedAttributes=members`,
      );
    return http.request('PUT', `/Users/${someone}`, {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      userName: `user${(i * 37) % tenant.userIds.length}@victim-corp.example`,
      name: { givenName: 'Given', familyName: `Family${i}` },
      emails: [{ primary: true, value: `user${(i * 37) % tenant.userIds.length}@victim-corp.example`, type: 'work' }],
      active: true,
    });
  };
}

interface Recorded {
  readonly latencies: number[];
  readonly statuses: Map<number, number>;
  readonly failures: string[];
}

/** Runs `step` with `concurrency` in flight until `until` (ms, performance.now), recording every answer. */
async function runUntil(
  until: number,
  concurrency: number,
  step: (i: number) => Promise<HttpResult>,
): Promise<Recorded> {
  const recorded: Recorded = { latencies: [], statuses: new Map(), failures: [] };
  let next = 0;
  const worker = async (): Promise<void> => {
    while (performance.now() < until) {
      const r = await step(next++).catch((e: unknown) => ({ status: 0, body: String(e), ms: 0 }));
      recorded.statuses.set(r.status, (recorded.statuses.get(r.status) ?? 0) + 1);
      if (r.status >= 300 || r.status === 0) recorded.failures.push(`${r.status} ${r.body.slice(0, 160)}`);
      else recorded.latencies.push(r.ms);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return recorded;
}

/** Probes /readyz every 250 ms until `until`. */
async function probeReady(
  url: string,
  until: number,
): Promise<{ probes: number; notReady: number; slowestMs: number }> {
  let probes = 0;
  let notReady = 0;
  let slowestMs = 0;
  while (performance.now() < until) {
    const started = performance.now();
    const status = await fetch(`${url}/readyz`).then(
      (r) => r.status,
      () => 0,
    );
    slowestMs = Math.max(slowestMs, performance.now() - started);
    probes++;
    if (status !== 200) notReady++;
    await new Promise((r) => setTimeout(r, 250));
  }
  return { probes, notReady, slowestMs };
}

/** The service's longest event-loop stall since the previous scrape (prom-client resets it on each). */
async function eventLoopMaxMs(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = /^nodejs_eventloop_lag_max_seconds\s+([\d.e+-]+)/m.exec(text);
  return m ? Number(m[1]) * 1000 : Number.NaN;
}

const summary = (r: Recorded): string =>
  `${r.latencies.length} ok, median ${percentile(r.latencies, 50).toFixed(1)} ms, p99 ${percentile(r.latencies, 99).toFixed(1)} ms, errors ${r.failures.length}`;

async function planningTimes(store: Store, tenant: Tenant): Promise<void> {
  line('PostgreSQL planning (EXPLAIN, median of 5)', 'grouped joins   one EXISTS per term');
  for (const n of [10, 20, 40]) {
    const text = Array.from({ length: n }, (_, i) =>
      i % 2
        ? `emails.value eq "x${i}@example.com"`
        : `groups.value eq "${tenant.groupIds[i % tenant.groupIds.length]}"`,
    ).join(' and ');
    const filter = resolveUserFilter(parseFilter(text));
    const cells: string[] = [];
    for (const existsTermsLimit of [undefined, Number.POSITIVE_INFINITY]) {
      const compiled = compileUserFilter(
        filter,
        tenant.orgId,
        existsTermsLimit === undefined ? {} : { existsTermsLimit },
      );
      const qb = scopedQuery(
        store.db,
        { table: 'directory_users', alias: 'u' },
        tenant.orgId,
        'c',
        compiled.apply,
      ).select('u.id');
      const times: number[] = [];
      for (let k = 0; k < 5; k++) {
        const started = performance.now();
        await store.db.raw(`EXPLAIN ${qb.toString()}`);
        times.push(performance.now() - started);
      }
      cells.push(`${percentile(times, 50).toFixed(1)} ms`.padEnd(16));
    }
    line(`  ${n} terms (and)`, cells.join(''));
  }
}

async function runDialect(dialect: string): Promise<void> {
  let config: DatabaseConfig;
  let cleanup = (): void => undefined;
  if (dialect === 'pg') {
    await recreateDatabase(PG_URL);
    config = { client: 'pg', url: PG_URL, poolMax: 4 };
  } else {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ib-isolation-'));
    config = { client: 'sqlite', filename: path.join(dir, 'bench.sqlite') };
    cleanup = () => fs.rmSync(dir, { recursive: true, force: true });
  }
  process.stdout.write(`\n${dialect === 'pg' ? 'PostgreSQL' : 'SQLite'}\n`);
  const seeding = performance.now();
  const store = await openStore(config, { migrate: true });
  const attacker = await seedTenant(store, 'Attacker Corp', ATTACKER_USERS);
  const victim = await seedTenant(store, 'Victim Corp', VICTIM_USERS);
  if (dialect === 'pg') await store.db.raw('VACUUM ANALYZE');
  line(
    'seeded',
    `attacker ${ATTACKER_USERS} users, victim ${VICTIM_USERS} users, ${GROUPS} groups each (${((performance.now() - seeding) / 1000).toFixed(1)} s)`,
  );
  if (dialect === 'pg') await planningTimes(store, attacker);
  await store.close();

  let child: ChildProcess | undefined;
  try {
    const started = await startService(dialect === 'pg' ? PG_URL : (config as { filename: string }).filename);
    child = started.child;
    const url = started.url;
    const victimHttp = new HttpClient(url, victim.token, VICTIM_CONCURRENCY);
    const attackerHttp = new HttpClient(url, attacker.token, ATTACK_CONCURRENCY);
    const created: string[] = [];
    const step = victimStep(victimHttp, victim, created);

    await runUntil(performance.now() + 3000, VICTIM_CONCURRENCY, step); // warm-up
    await eventLoopMaxMs(url);
    const baseline = await runUntil(performance.now() + BASELINE_SECONDS * 1000, VICTIM_CONCURRENCY, step);
    const baselineStall = await eventLoopMaxMs(url);
    line('victim alone', summary(baseline));

    const filters = worstFilters(attacker);
    const until = performance.now() + ATTACK_SECONDS * 1000;
    const [attack, loaded, ready] = await Promise.all([
      runUntil(until, ATTACK_CONCURRENCY, (i) =>
        attackerHttp.request('GET', `/Users?filter=${filters[i % filters.length]}&count=100`),
      ),
      runUntil(until, VICTIM_CONCURRENCY, step),
      probeReady(url, until),
    ]);
    const attackStall = await eventLoopMaxMs(url);
    line('victim under attack', summary(loaded));
    const ratio = percentile(loaded.latencies, 99) / percentile(baseline.latencies, 99);
    line('victim p99 under attack / alone', `${ratio.toFixed(2)}x (target: at most 3x, and 0 errors)`);
    if (loaded.failures.length > 0) line('victim errors', loaded.failures.slice(0, 5).join(' | '));
    line(
      '/readyz during the attack',
      `${ready.probes - ready.notReady}/${ready.probes} answered 200, slowest ${ready.slowestMs.toFixed(1)} ms`,
    );
    const answered = [...attack.statuses.entries()]
      .sort()
      .map(([s, n]) => `${n}x ${s}`)
      .join(', ');
    line(
      'attacker (worst filters, concurrency 10)',
      `${answered}; 200s median ${percentile(attack.latencies, 50).toFixed(0)} ms`,
    );
    line('longest event-loop stall (alone / attack)', `${baselineStall.toFixed(1)} ms / ${attackStall.toFixed(1)} ms`);
    victimHttp.close();
    attackerHttp.close();
  } finally {
    child?.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    cleanup();
  }
}

async function main(): Promise<void> {
  process.stdout.write(
    `identity-bridge isolation benchmark: ${ATTACK_SECONDS} s of worst-case filters at concurrency ${ATTACK_CONCURRENCY} from one org beside Okta-shaped traffic at concurrency ${VICTIM_CONCURRENCY} from another\n`,
  );
  for (const dialect of DIALECTS) await runDialect(dialect);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});

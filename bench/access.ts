/**
 * `npm run bench:access`: access decisions on PostgreSQL with a directory of 100,000 users,
 * 1,000 groups (500 members each) and 200 teams, every group mapped to a team.
 * Prints decisions/s over HTTP (concurrency 8, median and p99) and in process, the time to
 * apply a new mapping over a 100,000-member group (then VACUUM ANALYZE, as after any bulk
 * load, so decisions are measured in steady state), and how long one SCIM member add takes
 * to change a decision on a 100-member and on a 100,000-member mapped group.
 *
 * The directory is loaded with bulk SQL (the SCIM benchmark measures provisioning); teams
 * and mappings go through the services, as the CLI and admin API do.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { CLI_ACTOR } from '../src/domain/actor.js';
import type { Services } from '../src/services.js';
import { AccessChangeFeed } from '../src/store/access-change-feed.js';
import { openStore } from '../src/store/open-store.js';
import { refreshPlannerStatistics } from '../src/store/planner-statistics.js';
import type { Store } from '../src/store/store.js';
import { HttpClient, percentile, runConcurrent } from './http-load.js';
import { benchServices, peakRssMb, recreateDatabase, startService } from './service-process.js';

const USERS = Number(process.env.BENCH_USERS ?? 100_000);
const GROUPS = Number(process.env.BENCH_GROUPS ?? 1_000);
const GROUP_SIZE = Number(process.env.BENCH_GROUP_SIZE ?? 500);
const TEAMS = Number(process.env.BENCH_TEAMS ?? 200);
const DECISIONS = Number(process.env.BENCH_DECISIONS ?? 30_000);
const CONCURRENCY = 8;
const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/ib_bench_access';
const ROOT = path.resolve(import.meta.dirname, '../..');
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const RESOURCES = ['ci', 'source', 'devices', 'targets', 'containers'];
const ACTIONS = ['read', 'read-update', 'create', 'delete'];

function line(label: string, value: string): void {
  process.stdout.write(`${label.padEnd(58)} ${value}\n`);
}

async function insertChunked(
  store: Store,
  table: string,
  rows: Record<string, unknown>[],
  chunk = 2_000,
): Promise<void> {
  for (let i = 0; i < rows.length; i += chunk) await store.db(table).insert(rows.slice(i, i + chunk));
}

interface Loaded {
  readonly orgId: string;
  readonly connectionId: string;
  readonly scimToken: string;
  readonly apiToken: string;
  readonly userNames: string[];
  readonly userIds: string[];
}

async function load(store: Store, services: Services): Promise<Loaded> {
  const org = await services.organizations.create('Bench Access Corp', CLI_ACTOR);
  const connection = await services.connections.create(org.id, { kind: 'okta', name: 'Okta' }, CLI_ACTOR);
  const scim = await services.scimTokens.issue(org.id, connection.id, CLI_ACTOR);
  const api = await services.adminTokens.issue(org.id, CLI_ACTOR, { role: 'User' });
  const at = new Date().toISOString();
  const userIds = Array.from({ length: USERS }, () => randomUUID());
  const userNames = userIds.map((_, i) => `user${i}@bench.example`);
  await insertChunked(
    store,
    'directory_users',
    userIds.map((id, i) => ({
      id,
      org_id: org.id,
      connection_id: connection.id,
      external_id: `00u${i}`,
      user_name: userNames[i],
      user_name_lower: userNames[i],
      active: true,
      version: 1,
      created_at: at,
      updated_at: at,
    })),
  );
  const groupIds = Array.from({ length: GROUPS }, () => randomUUID());
  await insertChunked(
    store,
    'directory_groups',
    groupIds.map((id, i) => ({
      id,
      org_id: org.id,
      connection_id: connection.id,
      external_id: `00g${i}`,
      display_name: `Group ${i}`,
      display_name_lower: `group ${i}`,
      version: 1,
      created_at: at,
      updated_at: at,
    })),
  );
  // Statistics before the memberships: the foreign-key checks are planned on first use.
  await store.db.raw('ANALYZE');
  const memberships: Record<string, unknown>[] = [];
  for (let g = 0; g < GROUPS; g++) {
    for (let k = 0; k < GROUP_SIZE; k++) {
      memberships.push({
        org_id: org.id,
        group_id: groupIds[g],
        user_id: userIds[(g * 97 + k * 211) % USERS],
        created_at: at,
      });
    }
  }
  const unique = [...new Map(memberships.map((m) => [`${String(m.group_id)}|${String(m.user_id)}`, m])).values()];
  await insertChunked(store, 'group_memberships', unique, 5_000);
  await store.db.raw('ANALYZE');

  const teamIds: string[] = [];
  for (let t = 0; t < TEAMS; t++) {
    const scopes = [0, 1, 2].map(
      (k) => `${RESOURCES[(t + k) % RESOURCES.length]}:${ACTIONS[(t * 7 + k) % ACTIONS.length]}`,
    );
    const deviceGroups = t % 4 === 0 ? [`lab-${t}`, `fleet-${t % 10}`] : [];
    teamIds.push((await services.teams.create(org.id, { name: `team-${t}`, scopes, deviceGroups }, CLI_ACTOR)).id);
  }
  const mappingsStarted = performance.now();
  for (let g = 0; g < GROUPS; g++) {
    // What the running service's statistics keeper does every 15 s (autovacuum may be off).
    if (g % 50 === 0) await refreshPlannerStatistics(store.db);
    await services.mappings.create(
      org.id,
      {
        connectionId: connection.id,
        group: groupIds[g]!,
        teams: [teamIds[g % TEAMS]!, ...(g % 3 === 0 ? [teamIds[(g * 13) % TEAMS]!] : [])],
        role: g % 50 === 0 ? 'Admin' : null,
      },
      CLI_ACTOR,
    );
  }
  line(
    `${GROUPS} mappings over ${GROUP_SIZE}-member groups`,
    `${((performance.now() - mappingsStarted) / 1000).toFixed(1)} s`,
  );
  return { orgId: org.id, connectionId: connection.id, scimToken: scim.token, apiToken: api.token, userNames, userIds };
}

function question(i: number, userNames: readonly string[]): Record<string, string> {
  const n = (i * 7919) % userNames.length;
  const scope = `${RESOURCES[i % RESOURCES.length]}:${ACTIONS[(i >> 2) % ACTIONS.length]}`;
  return {
    user: userNames[n]!,
    scope,
    ...(scope.startsWith('devices:') && i % 2 === 0 ? { deviceGroup: `lab-${(i * 4) % TEAMS}` } : {}),
  };
}

async function main(): Promise<void> {
  if (!fs.existsSync(path.join(ROOT, 'dist/src/main.js'))) throw new Error('run `npm run build` first');
  process.stdout.write(
    `identity-bridge access benchmark: ${USERS} users, ${GROUPS} groups of ${GROUP_SIZE}, ${TEAMS} teams, PostgreSQL\n\n`,
  );
  await recreateDatabase(DATABASE_URL);
  const store = await openStore({ client: 'pg', url: DATABASE_URL, poolMax: 4 }, { migrate: true });
  const services = benchServices(store);
  const loaded = await load(store, services);

  // A new mapping over a group holding every user.
  const everyone = randomUUID();
  const at = new Date().toISOString();
  await store.db('directory_groups').insert({
    id: everyone,
    org_id: loaded.orgId,
    connection_id: loaded.connectionId,
    display_name: 'All Staff',
    display_name_lower: 'all staff',
    version: 1,
    created_at: at,
    updated_at: at,
  });
  await insertChunked(
    store,
    'group_memberships',
    loaded.userIds.map((id) => ({ org_id: loaded.orgId, group_id: everyone, user_id: id, created_at: at })),
    5_000,
  );
  await store.db.raw('ANALYZE');
  const allTeam = await services.teams.create(
    loaded.orgId,
    { name: 'all-staff', scopes: ['targets:delete'] },
    CLI_ACTOR,
  );
  const mapStarted = performance.now();
  const bigMapping = await services.mappings.create(
    loaded.orgId,
    { connectionId: loaded.connectionId, group: everyone, teams: [allTeam.id] },
    CLI_ACTOR,
  );
  line(
    `new mapping over a ${USERS}-member group`,
    `${((performance.now() - mapStarted) / 1000).toFixed(2)} s  (${bigMapping.membershipsChanged} team memberships added)`,
  );

  // Decisions are measured in steady state, not racing autovacuum over the hundreds of
  // thousands of rows the loads above wrote: the VACUUM ANALYZE an operator runs after a bulk load.
  const settled = performance.now();
  await store.db.raw(
    'VACUUM (ANALYZE) directory_users, directory_groups, group_memberships, team_memberships, group_mappings, group_mapping_teams',
  );
  line('VACUUM ANALYZE after the loads', `${((performance.now() - settled) / 1000).toFixed(1)} s`);

  // In-process decisions: the service the HTTP route calls, without HTTP; first with one
  // query per decision (no change feed: what the CLI does), then answered from memory.
  const WORKING_SET = Math.min(10_000, USERS);
  const inProcess = async (label: string): Promise<void> => {
    for (let i = 0; i < WORKING_SET; i++) {
      const { user, ...q } = question(i, loaded.userNames);
      await services.access.check(loaded.orgId, user!, { scope: q.scope!, deviceGroup: q.deviceGroup });
    }
    let next = 0;
    const latencies: number[] = [];
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < DECISIONS) {
          const { user, ...q } = question(next++ % WORKING_SET, loaded.userNames);
          const t0 = performance.now();
          await services.access.check(loaded.orgId, user!, { scope: q.scope!, deviceGroup: q.deviceGroup });
          latencies.push(performance.now() - t0);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    line(
      label,
      `${(DECISIONS / seconds).toFixed(0)} decisions/s  (median ${percentile(latencies, 50).toFixed(2)} ms, p99 ${percentile(latencies, 99).toFixed(2)} ms)`,
    );
  };
  await inProcess('decisions in process, one query each (concurrency 8)');
  const feed = new AccessChangeFeed(DATABASE_URL, {
    onChange: (c) => services.access.applyChange(c),
    onReset: () => services.access.reset(),
    onError: () => undefined,
  });
  await feed.start();
  services.access.useChangeFeed(feed);
  await inProcess('decisions in process, change feed + cache (concurrency 8)');
  await feed.stop();
  await store.db.destroy();

  const { child, url } = await startService(DATABASE_URL);
  const decisions = new HttpClient(url, loaded.apiToken, CONCURRENCY, '/v1/access');
  const scim = new HttpClient(url, loaded.scimToken, 1);
  try {
    // Cold: the first decision about each of WORKING_SET users (one query each).
    const cold = await runConcurrent(WORKING_SET, CONCURRENCY, (i) =>
      decisions.request('POST', '/check', question(i, loaded.userNames)),
    );
    line(
      `decisions over HTTP, first per user (${WORKING_SET} users)`,
      `${cold.perSecond.toFixed(0)} decisions/s  (median ${cold.medianMs.toFixed(2)} ms, p99 ${cold.p99Ms.toFixed(2)} ms)`,
    );
    // Warm: the same users asked about again, as factory services do all day.
    const overHttp = await runConcurrent(DECISIONS, CONCURRENCY, (i) =>
      decisions.request('POST', '/check', question((i * 31) % WORKING_SET, loaded.userNames)),
    );
    line(
      'decisions over HTTP, repeated users (concurrency 8)',
      `${overHttp.perSecond.toFixed(0)} decisions/s  (median ${overHttp.medianMs.toFixed(2)} ms, p99 ${overHttp.p99Ms.toFixed(2)} ms)`,
    );

    // One member add to a mapped group, then the decision it changes.
    const small = await scim.request('POST', '/Groups', {
      displayName: 'Small',
      members: loaded.userIds.slice(0, 100).map((value) => ({ value })),
    });
    const smallId = (JSON.parse(small.body) as { id: string }).id;
    const smallTeam = await createTeamAndMap(loaded, smallId);
    const outsider = (
      JSON.parse((await scim.request('POST', '/Users', { userName: 'outsider@bench.example' })).body) as { id: string }
    ).id;
    const effect = async (groupId: string, scope: string): Promise<number[]> => {
      const times: number[] = [];
      for (let i = 0; i < 60; i++) {
        const add = await scim.request('PATCH', `/Groups/${groupId}`, {
          schemas: [PATCH_OP],
          Operations: [{ op: 'add', path: 'members', value: [{ value: outsider }] }],
        });
        const decided = await decisions.request('POST', '/check', { user: outsider, scope });
        if (add.status !== 204 || !(JSON.parse(decided.body) as { allowed: boolean }).allowed) {
          throw new Error(`member add did not take effect: ${add.status} ${decided.body}`);
        }
        times.push(add.ms + decided.ms);
        const removed = await scim.request('PATCH', `/Groups/${groupId}`, {
          schemas: [PATCH_OP],
          Operations: [{ op: 'remove', path: `members[value eq "${outsider}"]` }],
        });
        if (removed.status !== 204) throw new Error(`member remove failed: ${removed.status}`);
      }
      return times.slice(10);
    };
    const smallTimes = await effect(smallId, smallTeam);
    const largeTimes = await effect(everyone, 'targets:delete');
    const s = percentile(smallTimes, 50);
    const l = percentile(largeTimes, 50);
    line('member add → decision changed, 100-member group (median)', `${s.toFixed(2)} ms`);
    line(
      `member add → decision changed, ${USERS}-member group (median)`,
      `${l.toFixed(2)} ms  (ratio ${(l / s).toFixed(2)})`,
    );
    line('server peak RSS', `${peakRssMb(child.pid!).toFixed(0)} MB`);
  } finally {
    decisions.close();
    scim.close();
    child.kill('SIGTERM');
  }
}

/** A team with `targets:create` mapped from the group; returns the scope it grants. */
async function createTeamAndMap(loaded: Loaded, groupId: string): Promise<string> {
  const store = await openStore({ client: 'pg', url: DATABASE_URL, poolMax: 1 }, { migrate: false });
  try {
    const services = benchServices(store);
    const team = await services.teams.create(loaded.orgId, { name: 'small', scopes: ['targets:create'] }, CLI_ACTOR);
    await services.mappings.create(
      loaded.orgId,
      { connectionId: loaded.connectionId, group: groupId, teams: [team.id] },
      CLI_ACTOR,
    );
    return 'targets:create';
  } finally {
    await store.db.destroy();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});

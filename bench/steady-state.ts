/**
 * What an identity provider sends all day after its initial sync, against the service and
 * against the bare reference server (reference-server.ts) on the same database, phase by
 * phase, at the same concurrency: user creates, `userName eq` lookups, user reads by id
 * (Okta reads a user before it replaces it), one-member group PATCHes (Okta's add, Entra's
 * remove) on 60 groups, deactivations (Entra's PATCH, Okta's PUT), and group reads with 50
 * members and without members. Each round runs every phase
 * on both (the one that goes first alternates); the figures are medians over the rounds,
 * and every response is checked (a failed request aborts the run). On PostgreSQL the writes
 * (one-member add, Entra's remove and deactivation) also run against the limit with the rows
 * the design keeps beside them (reference-design-rows.ts), right after the limit's own.
 */
import { cpuPerRequest, cpuSnapshot, describeCpu, type CpuPerRequest } from './cpu-usage.js';
import type { HttpClient } from './http-load.js';
import { percentile, runConcurrent, type HttpResult, type RunStats } from './http-load.js';

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const STEADY_GROUPS = 60;
const GROUP_SIZE = 50;

type Json = Record<string, unknown>;

export interface SteadySizes {
  readonly creates: number;
  readonly lookups: number;
  /** One-member adds per round (then as many removes). */
  readonly memberChanges: number;
  /** Deactivations per shape per round. */
  readonly deactivations: number;
  readonly groupReads: number;
  readonly concurrency: number;
  readonly rounds: number;
}

/**
 * Requests per phase: enough that even the limit's fastest phases last about a second on a
 * fast machine (at a quarter of these, some lasted 0.1 s, and one pause of the collector or
 * the scheduler moved a round's ratio by a third).
 */
export const DEFAULT_SIZES: SteadySizes = {
  creates: 8_000,
  lookups: 20_000,
  memberChanges: 12_000,
  deactivations: 4_000,
  groupReads: 12_000,
  concurrency: 8,
  rounds: 3,
};

export interface PhaseFigures {
  readonly phase: string;
  /** Requests per second, median over the rounds. */
  readonly ours: number;
  readonly limit: number | undefined;
  readonly oursP99Ms: number;
  readonly limitP99Ms: number | undefined;
  /** The limit with the design's rows, where the phase has it. */
  readonly design?: number;
  readonly designP99Ms?: number;
  readonly designCpu?: CpuPerRequest;
  /** CPU per request, medians over the rounds (undefined where it could not be read). */
  readonly oursCpu?: CpuPerRequest;
  readonly limitCpu?: CpuPerRequest;
}

interface Setup {
  readonly ours: HttpClient;
  readonly limit: HttpClient;
  /** Users of the connection (active, in none of the steady groups): member candidates and lookups. */
  readonly userIds: readonly string[];
  readonly userNames: readonly string[];
  readonly sizes: SteadySizes;
  /** The processes of the service and of the limit, whose CPU each phase reports. */
  readonly oursPid?: number;
  readonly limitPid?: number;
  /** Whether the database is PostgreSQL (its own processes) rather than SQLite (in the server). */
  readonly databaseProcesses: boolean;
  /** Whether the limit also answers the writes with the design's rows (PostgreSQL). */
  readonly designRows?: boolean;
}

function check(expected: number, r: HttpResult, what: string): HttpResult {
  if (r.status !== expected) throw new Error(`${what}: expected ${expected}, got ${r.status}: ${r.body.slice(0, 300)}`);
  return r;
}

function okta(i: string, active: boolean, id?: string): Json {
  return {
    schemas: [USER_SCHEMA],
    ...(id ? { id } : {}),
    userName: `${i}@steady.example`,
    name: { givenName: `Given ${i}`, familyName: `Family ${i}` },
    emails: [{ primary: true, value: `${i}@steady.example`, type: 'work' }],
    displayName: `Steady ${i}`,
    locale: 'en-US',
    externalId: `00s${i}`,
    groups: [],
    password: 'placeholder',
    active,
  };
}

/**
 * One member added to or removed from a group: ours as the IdP sends it (Okta adds with a
 * value list; Entra removes with a value list, Okta with a filtered path), the limit as one row.
 */
async function memberChange(
  c: HttpClient,
  who: 'ours' | 'limit' | 'design',
  change: 'add' | 'remove (Entra)' | 'remove (Okta)',
  group: string,
  user: string,
): Promise<HttpResult> {
  if (who !== 'ours') {
    const method = change === 'add' ? 'PUT' : 'DELETE';
    const prefix = who === 'design' ? '/design' : '';
    return check(204, await c.request(method, `${prefix}/groups/${group}/members/${user}`), change);
  }
  const operation =
    change === 'add'
      ? { op: 'add', path: 'members', value: [{ value: user }] }
      : change === 'remove (Entra)'
        ? { op: 'Remove', path: 'members', value: [{ value: user }] }
        : { op: 'remove', path: `members[value eq "${user}"]` };
  return check(
    204,
    await c.request('PATCH', `/Groups/${group}`, { schemas: [PATCH_OP], Operations: [operation] }),
    change,
  );
}

/** A user read by id (the path ends with the id), checked to be that user. */
async function userRead(c: HttpClient, path: string): Promise<HttpResult> {
  const r = check(200, await c.request('GET', path), 'user read');
  if ((JSON.parse(r.body) as Json).id !== path.slice(path.lastIndexOf('/') + 1))
    throw new Error('user read: another user');
  return r;
}

/** The steady groups of the service, each with GROUP_SIZE members of its own (the first users). */
async function seedGroups(s: Setup): Promise<string[]> {
  const ids: string[] = [];
  for (let g = 0; g < STEADY_GROUPS; g++) {
    const members = s.userIds.slice(g * GROUP_SIZE, (g + 1) * GROUP_SIZE).map((value) => ({ value }));
    const r = check(201, await s.ours.request('POST', '/Groups', { displayName: `Steady ${g}`, members }), 'group');
    ids.push((JSON.parse(r.body) as Json).id as string);
  }
  return ids;
}

type Run = (c: HttpClient, n: number, concurrency: number) => Promise<RunStats>;

export async function runSteadyState(
  s: Setup,
  report: (line: string) => void,
): Promise<{ figures: PhaseFigures[]; concurrencyOne: { ours: number; limit: number } }> {
  const { sizes } = s;
  const groups = await seedGroups(s);
  const spare = s.userIds.slice(STEADY_GROUPS * GROUP_SIZE);
  if (spare.length < 3 * STEADY_GROUPS)
    throw new Error(`steady state needs at least ${STEADY_GROUPS * (GROUP_SIZE + 3)} users`);
  // Member candidates: ours and the limits change disjoint users, so none sees another's rows.
  const share = Math.floor(spare.length / 3);
  const candidates = {
    ours: spare.slice(0, share),
    limit: spare.slice(share, 2 * share),
    design: spare.slice(2 * share, 3 * share),
  };
  const pair = (who: 'ours' | 'limit' | 'design', i: number): [string, string] => {
    const pool = candidates[who];
    return [groups[i % STEADY_GROUPS]!, pool[Math.floor(i / STEADY_GROUPS) % pool.length]!];
  };

  type Measured = { stats: RunStats; cpu: CpuPerRequest | undefined };
  const samples = new Map<string, { ours: Measured[]; limit: Measured[]; design: Measured[] }>();
  const record = (phase: string, ours: Measured, limit: Measured, design: Measured | undefined): void => {
    const entry = samples.get(phase) ?? { ours: [], limit: [], design: [] };
    entry.ours.push(ours);
    entry.limit.push(limit);
    if (design) entry.design.push(design);
    samples.set(phase, entry);
  };
  const measure = async (pid: number | undefined, run: () => Promise<RunStats>): Promise<Measured> => {
    const before = cpuSnapshot(pid, s.databaseProcesses);
    const stats = await run();
    const cpu = cpuPerRequest(before, cpuSnapshot(pid, s.databaseProcesses), stats.count);
    return { stats, cpu };
  };

  for (let round = 0; round < sizes.rounds; round++) {
    const created = { ours: [] as string[], limit: [] as string[] };
    // The limit's creates serve its deactivations and, after them, those with the design's rows.
    const designDeactivations = s.sizes.deactivations * 2;
    const names = (who: string, i: number): string => `${who}-r${round}-${i}`;
    const phases: Array<{ name: string; ours: Run; limit: Run; design?: Run }> = [
      {
        name: 'user create',
        ours: (c, n, k) =>
          runConcurrent(n, k, async (i) => {
            const r = await c.request('POST', '/Users', okta(names('ours', i), true));
            if (r.status === 201) created.ours[i] = (JSON.parse(r.body) as Json).id as string;
            return check(201, r, 'create');
          }),
        limit: (c, n, k) =>
          runConcurrent(n, k, async (i) => {
            const r = check(
              201,
              await c.request('POST', '/users', { userName: `${names('limit', i)}@steady.example` }),
              'create',
            );
            created.limit[i] = (JSON.parse(r.body) as Json).id as string;
            return r;
          }),
      },
      {
        name: 'userName eq lookup',
        ours: (c, n, k) =>
          runConcurrent(n, k, async (i) => {
            const userName = s.userNames[(i * 7919) % s.userNames.length]!.toUpperCase();
            const filter = encodeURIComponent(`userName eq "${userName}"`);
            const r = check(200, await c.request('GET', `/Users?filter=${filter}&startIndex=1&count=100`), 'lookup');
            if ((JSON.parse(r.body) as { totalResults: number }).totalResults !== 1) throw new Error('lookup missed');
            return r;
          }),
        limit: (c, n, k) =>
          runConcurrent(n, k, async (i) => {
            const userName = s.userNames[(i * 7919) % s.userNames.length]!.toUpperCase();
            const r = check(200, await c.request('GET', `/users?userName=${encodeURIComponent(userName)}`), 'lookup');
            if ((JSON.parse(r.body) as unknown[]).length !== 1) throw new Error('lookup missed');
            return r;
          }),
      },
      {
        name: 'user GET by id (Okta)',
        ours: (c, n, k) =>
          runConcurrent(n, k, (i) => userRead(c, `/Users/${s.userIds[(i * 7919) % s.userIds.length]}`)),
        limit: (c, n, k) =>
          runConcurrent(n, k, (i) => userRead(c, `/users/${s.userIds[(i * 7919) % s.userIds.length]}`)),
      },
      {
        name: 'one-member add (Okta PATCH)',
        ours: (c, n, k) => runConcurrent(n, k, (i) => memberChange(c, 'ours', 'add', ...pair('ours', i))),
        limit: (c, n, k) => runConcurrent(n, k, (i) => memberChange(c, 'limit', 'add', ...pair('limit', i))),
        design: (c, n, k) => runConcurrent(n, k, (i) => memberChange(c, 'design', 'add', ...pair('design', i))),
      },
      {
        name: 'one-member remove (Entra PATCH)',
        ours: (c, n, k) => runConcurrent(n, k, (i) => memberChange(c, 'ours', 'remove (Entra)', ...pair('ours', i))),
        limit: (c, n, k) => runConcurrent(n, k, (i) => memberChange(c, 'limit', 'remove (Entra)', ...pair('limit', i))),
        design: (c, n, k) =>
          runConcurrent(n, k, (i) => memberChange(c, 'design', 'remove (Entra)', ...pair('design', i))),
      },
      {
        name: 'deactivation (Entra PATCH)',
        ours: (c, n, k) =>
          runConcurrent(n, k, async (i) =>
            check(
              200,
              await c.request('PATCH', `/Users/${created.ours[i]}`, {
                schemas: [PATCH_OP],
                Operations: [{ op: 'Replace', path: 'active', value: 'False' }],
              }),
              'deactivate',
            ),
          ),
        limit: (c, n, k) =>
          runConcurrent(n, k, async (i) =>
            check(204, await c.request('PUT', `/users/${created.limit[i]}/inactive`), 'deactivate'),
          ),
        design: (c, n, k) =>
          runConcurrent(n, k, async (i) =>
            check(
              204,
              await c.request('PUT', `/design/users/${created.limit[designDeactivations + i]}/inactive`),
              'deactivate',
            ),
          ),
      },
      {
        name: 'deactivation (Okta PUT)',
        ours: (c, n, k) =>
          runConcurrent(n, k, async (i) => {
            const at = n + i;
            return check(
              200,
              await c.request('PUT', `/Users/${created.ours[at]}`, okta(names('ours', at), false, created.ours[at])),
              'deactivate',
            );
          }),
        limit: (c, n, k) =>
          runConcurrent(n, k, async (i) =>
            check(204, await c.request('PUT', `/users/${created.limit[n + i]}/inactive`), 'deactivate'),
          ),
      },
      {
        name: 'group GET, 50 members',
        ours: (c, n, k) =>
          runConcurrent(n, k, async (i) => {
            const r = check(200, await c.request('GET', `/Groups/${groups[i % STEADY_GROUPS]}`), 'group read');
            if ((JSON.parse(r.body) as { members: unknown[] }).members.length !== GROUP_SIZE)
              throw new Error('group read: wrong member count');
            return r;
          }),
        limit: (c, n, k) =>
          runConcurrent(n, k, async (i) => {
            const r = check(200, await c.request('GET', `/groups/${groups[i % STEADY_GROUPS]}`), 'group read');
            if ((JSON.parse(r.body) as { members: unknown[] }).members.length !== GROUP_SIZE)
              throw new Error('group read: wrong member count');
            return r;
          }),
      },
      {
        name: 'group GET, excludedAttributes=members',
        ours: (c, n, k) =>
          runConcurrent(n, k, async (i) =>
            check(
              200,
              await c.request('GET', `/Groups/${groups[i % STEADY_GROUPS]}?excludedAttributes=members`),
              'read',
            ),
          ),
        limit: (c, n, k) =>
          runConcurrent(n, k, async (i) =>
            check(200, await c.request('GET', `/groups/${groups[i % STEADY_GROUPS]}?members=no`), 'read'),
          ),
      },
    ];
    const count = (name: string): number =>
      name.startsWith('user create')
        ? sizes.creates
        : name.startsWith('userName') || name.startsWith('user GET')
          ? sizes.lookups
          : name.startsWith('one-member')
            ? sizes.memberChanges
            : name.startsWith('deactivation')
              ? sizes.deactivations
              : sizes.groupReads;
    for (const phase of phases) {
      // Creates make the users the deactivation phases need (the limit's also those with the design's rows).
      const n =
        phase.name === 'user create'
          ? Math.max(sizes.creates, designDeactivations + sizes.deactivations)
          : count(phase.name);
      const limitFirst = round % 2 === 1;
      const runLimit = (): Promise<Measured> => measure(s.limitPid, () => phase.limit(s.limit, n, sizes.concurrency));
      const first = limitFirst ? await runLimit() : undefined;
      const ours = await measure(s.oursPid, () => phase.ours(s.ours, n, sizes.concurrency));
      const limit = first ?? (await runLimit());
      const designRun = s.designRows ? phase.design : undefined;
      const design = designRun ? await measure(s.limitPid, () => designRun(s.limit, n, sizes.concurrency)) : undefined;
      record(phase.name, ours, limit, design);
      const cpu = ours.cpu && limit.cpu ? `  | ours ${describeCpu(ours.cpu)}; limit ${describeCpu(limit.cpu)}` : '';
      const withDesign = design
        ? `  design rows ${design.stats.perSecond.toFixed(0).padStart(6)}/s${design.cpu ? ` (${describeCpu(design.cpu)})` : ''}`
        : '';
      report(
        `  round ${round + 1}  ${phase.name.padEnd(38)} ours ${ours.stats.perSecond.toFixed(0).padStart(6)}/s  limit ${limit.stats.perSecond
          .toFixed(0)
          .padStart(6)}/s  ratio ${(ours.stats.perSecond / limit.stats.perSecond).toFixed(2)}${cpu}${withDesign}`,
      );
    }
  }

  // One member at a time, one request in flight: does concurrency buy throughput?
  const one = { ours: [] as number[], limit: [] as number[] };
  for (let round = 0; round < sizes.rounds; round++) {
    const n = Math.max(60, Math.floor(sizes.memberChanges / 10));
    for (const who of ['ours', 'limit'] as const) {
      const c = who === 'ours' ? s.ours : s.limit;
      const adds = await runConcurrent(n, 1, (i) => memberChange(c, who, 'add', ...pair(who, i)));
      const removes = await runConcurrent(n, 1, (i) => memberChange(c, who, 'remove (Okta)', ...pair(who, i)));
      one[who].push((2 * n) / (adds.seconds + removes.seconds));
    }
  }
  const median = (xs: readonly number[]): number => percentile(xs, 50);
  const medianCpu = (runs: readonly Measured[]): CpuPerRequest | undefined => {
    const read = runs.flatMap((r) => (r.cpu ? [r.cpu] : []));
    if (read.length === 0) return undefined;
    const databases = read.flatMap((c) => (c.databaseMs === undefined ? [] : [c.databaseMs]));
    return {
      serverMs: median(read.map((c) => c.serverMs)),
      databaseMs: databases.length > 0 ? median(databases) : undefined,
      clientMs: median(read.map((c) => c.clientMs)),
      idlePercent: median(read.map((c) => c.idlePercent)),
    };
  };
  const figures = [...samples].map(([phase, { ours, limit, design }]) => {
    const oursCpu = medianCpu(ours);
    const limitCpu = medianCpu(limit);
    const designCpu = medianCpu(design);
    return {
      phase,
      ours: median(ours.map((r) => r.stats.perSecond)),
      limit: median(limit.map((r) => r.stats.perSecond)),
      oursP99Ms: median(ours.map((r) => r.stats.p99Ms)),
      limitP99Ms: median(limit.map((r) => r.stats.p99Ms)),
      ...(oursCpu ? { oursCpu } : {}),
      ...(limitCpu ? { limitCpu } : {}),
      ...(design.length > 0
        ? {
            design: median(design.map((r) => r.stats.perSecond)),
            designP99Ms: median(design.map((r) => r.stats.p99Ms)),
            ...(designCpu ? { designCpu } : {}),
          }
        : {}),
    };
  });
  return { figures, concurrencyOne: { ours: median(one.ours), limit: median(one.limit) } };
}

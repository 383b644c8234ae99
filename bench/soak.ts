/**
 * `npm run bench:soak`: mixed traffic through the local fleet (HAProxy → three instances →
 * PgBouncer → PostgreSQL) for SOAK_SECONDS (default 600): SCIM (lookups, member changes,
 * creates), SSO access tokens (POST /auth/token for signed-in employees, then a decision on
 * the token) and decisions by user. Prints, per minute and in total, throughput, p99 latency
 * and errors, and each instance's RSS at the start and the end.
 */
import fs from 'node:fs';
import { CLI_ACTOR } from '../src/domain/actor.js';
import { openStore } from '../src/store/open-store.js';
import { startFleet } from './fleet.js';
import { percentile } from './http-load.js';
import { benchServices, recreateDatabase } from './service-process.js';

const SECONDS = Number(process.env.SOAK_SECONDS ?? 600);
const CONCURRENCY = Number(process.env.SOAK_CONCURRENCY ?? 8);
const USERS = 2000;
const GROUPS = 20;
const SIGNED_IN = 100;
const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/ib_soak';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

type Kind = 'scim' | 'token' | 'decision';

function rssMb(pid: number | undefined): number {
  if (!pid) return 0;
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1] ?? 0) / 1024;
}

async function main(): Promise<void> {
  await recreateDatabase(DATABASE_URL);
  const fleet = await startFleet({
    databaseUrl: DATABASE_URL,
    env: { SCIM_RATE_LIMIT: '100000000', SIGN_IN_RATE_LIMIT: '0' },
  });
  const store = await openStore({ client: 'pg', url: DATABASE_URL, poolMax: 4 }, { migrate: false });
  const s = benchServices(store);
  const org = await s.organizations.create('Soak Corp', CLI_ACTOR);
  const connection = await s.connections.create(org.id, { kind: 'okta', name: 'Okta' }, CLI_ACTOR);
  const scimToken = (await s.scimTokens.issue(org.id, connection.id, CLI_ACTOR)).token;
  const apiToken = (await s.adminTokens.issue(org.id, CLI_ACTOR, { role: 'User' })).token;
  await s.teams.create(org.id, { name: 'builders', scopes: ['ci:read-update', 'devices:read'] }, CLI_ACTOR);

  const scim = (method: string, path: string, body?: unknown) =>
    fetch(`${fleet.url}/scim/v2${path}`, {
      method,
      headers: { authorization: `Bearer ${scimToken}`, 'content-type': 'application/scim+json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const userIds: string[] = [];
  for (let i = 0; i < USERS; i++) {
    const res = await scim('POST', '/Users', { userName: `soak${i}@soak.example`, active: true });
    userIds.push(((await res.json()) as { id: string }).id);
  }
  const groupIds: string[] = [];
  for (let g = 0; g < GROUPS; g++) {
    const members = userIds.filter((_, i) => i % GROUPS === g).map((value) => ({ value }));
    const res = await scim('POST', '/Groups', { displayName: `Soak ${g}`, members });
    groupIds.push(((await res.json()) as { id: string }).id);
  }
  for (const g of groupIds.slice(0, 10)) {
    await s.mappings.create(org.id, { connectionId: connection.id, group: g, teams: ['builders'] }, CLI_ACTOR);
  }
  const cookies: string[] = [];
  for (let i = 0; i < SIGNED_IN; i++) {
    const { token } = await s.sessions.start({
      orgId: org.id,
      userId: userIds[i]!,
      connectionId: connection.id,
      protocol: 'oidc',
    });
    cookies.push(`ib_session=${token}`);
  }
  await store.db.destroy();

  const timed = async (kind: Kind, work: () => Promise<Response>): Promise<{ kind: Kind; ms: number; ok: boolean }> => {
    const started = performance.now();
    try {
      const res = await work();
      await res.arrayBuffer();
      return { kind, ms: performance.now() - started, ok: res.status < 400 || res.status === 409 };
    } catch {
      return { kind, ms: performance.now() - started, ok: false };
    }
  };
  let created = 0;
  const step = async (n: number): Promise<{ kind: Kind; ms: number; ok: boolean }> => {
    const r = n % 10;
    const user = userIds[(n * 7919) % USERS]!;
    if (r < 5) {
      return timed('decision', () =>
        fetch(`${fleet.url}/v1/access/check`, {
          method: 'POST',
          headers: { authorization: `Bearer ${apiToken}`, 'content-type': 'application/json' },
          body: JSON.stringify({ user, scope: 'ci:read-update' }),
        }),
      );
    }
    if (r < 7) {
      return timed('token', async () => {
        const minted = await fetch(`${fleet.url}/auth/token`, {
          method: 'POST',
          headers: { cookie: cookies[n % SIGNED_IN]! },
        });
        if (minted.status !== 200) return minted;
        const { access_token: token } = (await minted.json()) as { access_token: string };
        return fetch(`${fleet.url}/v1/access/check`, {
          method: 'POST',
          headers: { authorization: `Bearer ${apiToken}`, 'content-type': 'application/json' },
          body: JSON.stringify({ token, scope: 'devices:read' }),
        });
      });
    }
    if (r === 7)
      return timed('scim', () =>
        scim('GET', `/Users?filter=${encodeURIComponent(`userName eq "soak${(n * 31) % USERS}@soak.example"`)}`),
      );
    if (r === 8) {
      const op = n % 20 < 10 ? 'add' : 'remove';
      return timed('scim', () =>
        scim('PATCH', `/Groups/${groupIds[n % GROUPS]!}`, {
          schemas: [PATCH_OP],
          Operations: [{ op, path: 'members', value: [{ value: user }] }],
        }),
      );
    }
    return timed('scim', () =>
      scim('POST', '/Users', { userName: `soak-new-${created++}@soak.example`, active: true }),
    );
  };

  const pids = fleet.pids();
  const rssStart = pids.map(rssMb);
  process.stdout.write(
    `identity-bridge soak: ${SECONDS} s through HAProxy → ${pids.length} instances → PgBouncer → PostgreSQL, concurrency ${CONCURRENCY}\n` +
      `mix: 50% decisions by user, 20% SSO access token + decision on it, 30% SCIM (lookups, member changes, creates)\n` +
      `RSS at start (MB): ${rssStart.map((x) => x.toFixed(0)).join(', ')}\n\n`,
  );

  const until = Date.now() + SECONDS * 1000;
  let minuteStart = Date.now();
  let minute: Array<{ kind: Kind; ms: number; ok: boolean }> = [];
  const all: Array<{ kind: Kind; ms: number; ok: boolean }> = [];
  let n = 0;
  let minuteNo = 0;
  const report = (rows: typeof minute, seconds: number, label: string): void => {
    const ms = rows.map((x) => x.ms);
    const errors = rows.filter((x) => !x.ok).length;
    const byKind = (k: Kind) => rows.filter((x) => x.kind === k);
    process.stdout.write(
      `${label.padEnd(10)} ${(rows.length / seconds).toFixed(0).padStart(6)} req/s  p50 ${percentile(ms, 50).toFixed(1)} ms  p99 ${percentile(ms, 99).toFixed(1)} ms  errors ${errors}` +
        `  (p99 decision ${percentile(
          byKind('decision').map((x) => x.ms),
          99,
        ).toFixed(1)}, token ${percentile(
          byKind('token').map((x) => x.ms),
          99,
        ).toFixed(1)}, scim ${percentile(
          byKind('scim').map((x) => x.ms),
          99,
        ).toFixed(1)})` +
        `  RSS ${pids.map((p) => rssMb(p).toFixed(0)).join('/')} MB\n`,
    );
  };
  const worker = async (): Promise<void> => {
    while (Date.now() < until) {
      const r = await step(n++);
      minute.push(r);
      all.push(r);
      if (Date.now() - minuteStart >= 60_000) {
        minuteNo += 1;
        report(minute, (Date.now() - minuteStart) / 1000, `minute ${minuteNo}`);
        minute = [];
        minuteStart = Date.now();
      }
    }
  };
  const started = Date.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  if (minute.length > 0) report(minute, (Date.now() - minuteStart) / 1000, 'last part');
  process.stdout.write('\n');
  report(all, (Date.now() - started) / 1000, 'total');
  const rssEnd = pids.map(rssMb);
  process.stdout.write(
    `RSS at end (MB): ${rssEnd.map((x) => x.toFixed(0)).join(', ')} (start ${rssStart.map((x) => x.toFixed(0)).join(', ')})\n`,
  );
  await fleet.stop();
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});

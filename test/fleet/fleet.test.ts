/**
 * The fleet drill: three instances behind HAProxy and PgBouncer (transaction pooling) on a
 * PostgreSQL of its own. An Okta-shaped and an Entra-shaped SCIM client push users and
 * membership changes to the same groups at once; midway one instance is killed and
 * PostgreSQL is restarted. The clients retry what got no definite answer, as IdPs do.
 * Afterwards: every acknowledged create and membership change is in the database, no
 * refused create is, memberships equal what the clients were told, userNames are unique,
 * and every decision (through the load balancer) follows the final memberships.
 */
import pg from 'pg';
import { startFleet, type Fleet } from '../../bench/fleet.js';
import { startScratchPostgres, type ScratchPostgres } from '../../bench/scratch-postgres.js';
import { benchServices } from '../../bench/service-process.js';
import { CLI_ACTOR } from '../../src/domain/actor.js';
import { openStore } from '../../src/store/open-store.js';
import { IdpClient, type Counts } from '../support/idp-client.js';

type Json = Record<string, unknown>;
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const USERS_PER_CLIENT = 120;
const GROUPS = 4;

describe('fleet drill', () => {
  let postgres: ScratchPostgres;
  let fleet: Fleet;
  let orgId: string;
  let connectionId: string;
  let groupIds: string[];
  let oktaToken: string;
  let entraToken: string;
  let apiToken: string;

  beforeAll(async () => {
    postgres = await startScratchPostgres();
    fleet = await startFleet({ databaseUrl: postgres.url, env: { SCIM_RATE_LIMIT: '0' } });
    const store = await openStore({ client: 'pg', url: postgres.url, poolMax: 2 }, { migrate: false });
    try {
      const s = benchServices(store);
      orgId = (await s.organizations.create('Fleet Corp', CLI_ACTOR)).id;
      connectionId = (await s.connections.create(orgId, { kind: 'okta', name: 'IdP' }, CLI_ACTOR)).id;
      oktaToken = (await s.scimTokens.issue(orgId, connectionId, CLI_ACTOR, 'okta-shaped')).token;
      entraToken = (await s.scimTokens.issue(orgId, connectionId, CLI_ACTOR, 'entra-shaped')).token;
      apiToken = (await s.adminTokens.issue(orgId, CLI_ACTOR, { role: 'User' })).token;
      await s.teams.create(orgId, { name: 'builders', scopes: ['ci:read-update'] }, CLI_ACTOR);
    } finally {
      await store.db.destroy();
    }
    const setup = new IdpClient(fleet.url, oktaToken);
    groupIds = [];
    for (let g = 0; g < GROUPS; g++) {
      groupIds.push(
        (await setup.definite('POST', '/Groups', { displayName: `Shared ${g}`, members: [] })).body.id as string,
      );
    }
    const store2 = await openStore({ client: 'pg', url: postgres.url, poolMax: 2 }, { migrate: false });
    try {
      await benchServices(store2).mappings.create(
        orgId,
        { connectionId, group: groupIds[0]!, teams: ['builders'] },
        CLI_ACTOR,
      );
    } finally {
      await store2.db.destroy();
    }
  }, 120_000);

  afterAll(async () => {
    await fleet?.stop();
    postgres?.stop();
  });

  it('loses no acknowledged write and applies no refused one through an instance kill and a PostgreSQL restart', async () => {
    const okta = new IdpClient(fleet.url, oktaToken);
    const entra = new IdpClient(fleet.url, entraToken);
    /** What each client was told: user id by userName, and the members it last set per group. */
    const created = new Map<string, string>();
    const refusedProbes: string[] = [];
    const expected = groupIds.map(() => new Set<string>());
    let progress = 0;
    const total = USERS_PER_CLIENT * 2;

    const run = async (client: IdpClient, shape: 'okta' | 'entra'): Promise<void> => {
      for (let i = 0; i < USERS_PER_CLIENT; i++) {
        const userName = `${shape}-${i}@fleet.example`;
        let answer = await client.definite('POST', '/Users', { userName, active: true, externalId: `${shape}-${i}` });
        if (answer.status === 409) {
          // An earlier attempt was applied but its answer lost: the IdP looks the user up.
          const found = await client.definite(
            'GET',
            `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`,
          );
          answer = { status: 201, body: ((found.body.Resources as Json[])[0] ?? {}) as Json };
        }
        expect(answer.status).toBe(201);
        const id = answer.body.id as string;
        created.set(userName, id);
        // Both clients change the same groups: add to two, then take one of them away again.
        const [g1, g2] = [i % GROUPS, (i + 1) % GROUPS];
        for (const g of [g1, g2]) {
          const add =
            shape === 'okta'
              ? {
                  schemas: [PATCH_OP],
                  Operations: [{ op: 'add', path: 'members', value: [{ value: id, display: userName }] }],
                }
              : { schemas: [PATCH_OP], Operations: [{ op: 'Add', path: 'members', value: [{ value: id }] }] };
          expect((await client.definite('PATCH', `/Groups/${groupIds[g]!}`, add)).status).toBeLessThan(300);
          expected[g]!.add(id);
        }
        if (i % 3 === 0) {
          const remove =
            shape === 'okta'
              ? { schemas: [PATCH_OP], Operations: [{ op: 'remove', path: 'members', value: [{ value: id }] }] }
              : { schemas: [PATCH_OP], Operations: [{ op: 'Remove', path: `members[value eq "${id}"]` }] };
          expect((await client.definite('PATCH', `/Groups/${groupIds[g2]!}`, remove)).status).toBeLessThan(300);
          expected[g2]!.delete(id);
        }
        // A probe create that is never retried: if it is refused, it must not exist afterwards.
        const probe = `${shape}-probe-${i}@fleet.example`;
        const probeAnswer = await client.single('POST', '/Users', { userName: probe });
        if (probeAnswer && probeAnswer.status === 201) created.set(probe, probeAnswer.body.id as string);
        else if (probeAnswer && (probeAnswer.status === 503 || probeAnswer.status === 429)) refusedProbes.push(probe);
        progress += 1;
      }
    };

    // Around the faults, a third client fires single-attempt creates: whichever are refused must not exist.
    const prober = new IdpClient(fleet.url, oktaToken);
    let faultsOver = false;
    const probing = (async () => {
      while (progress < total * 0.35) await new Promise((r) => setTimeout(r, 20));
      for (let k = 0; !faultsOver; k++) {
        const name = `drill-probe-${k}@fleet.example`;
        const answer = await prober.single('POST', '/Users', { userName: name });
        if (answer && answer.status === 201) created.set(name, answer.body.id as string);
        else if (answer && (answer.status === 503 || answer.status === 429)) refusedProbes.push(name);
      }
    })();
    const drill = (async () => {
      while (progress < total * 0.4) await new Promise((r) => setTimeout(r, 50));
      await fleet.kill(1);
      await postgres.restart();
      await new Promise((r) => setTimeout(r, 1500));
      faultsOver = true;
    })();
    await Promise.all([run(okta, 'okta'), run(entra, 'entra'), drill, probing]);

    const db = new pg.Client({ connectionString: postgres.url });
    await db.connect();
    try {
      const users = (
        await db.query('SELECT id, user_name, user_name_lower FROM directory_users WHERE org_id = $1', [orgId])
      ).rows as Array<{ id: string; user_name: string; user_name_lower: string }>;
      const byName = new Map(users.map((u) => [u.user_name, u.id]));
      const lost = [...created].filter(([name, id]) => byName.get(name) !== id);
      const ghosts = refusedProbes.filter((name) => byName.has(name));
      expect(new Set(users.map((u) => u.user_name_lower)).size).toBe(users.length);

      const members = (await db.query('SELECT group_id, user_id FROM group_memberships WHERE org_id = $1', [orgId]))
        .rows as Array<{ group_id: string; user_id: string }>;
      const actual = groupIds.map((g) => new Set(members.filter((m) => m.group_id === g).map((m) => m.user_id)));
      const mismatched = groupIds.filter((_, g) => {
        const a = [...actual[g]!].sort();
        const e = [...expected[g]!].sort();
        return a.length !== e.length || a.some((x, k) => x !== e[k]);
      });

      // Decisions through the load balancer follow the final memberships of the mapped group.
      let wrongDecisions = 0;
      for (const [name, id] of created) {
        if (name.includes('probe-')) continue;
        const res = await fetch(`${fleet.url}/v1/access/check`, {
          method: 'POST',
          headers: { authorization: `Bearer ${apiToken}`, 'content-type': 'application/json' },
          body: JSON.stringify({ user: id, scope: 'ci:read-update' }),
        });
        const decision = (await res.json()) as { allowed: boolean };
        if (decision.allowed !== expected[0]!.has(id)) wrongDecisions += 1;
      }

      const c = [okta.counts, entra.counts, prober.counts];
      const sum = (k: keyof Counts): number => c.reduce((n, x) => n + x[k], 0);
      process.stdout.write(
        `fleet drill: requests sent ${sum('sent')}, acknowledged ${sum('acknowledged')}, refused 503 ${sum('refused503')}, ` +
          `refused 429 ${sum('refused429')}, no definite answer ${sum('unknown')}; users ${users.length}, ` +
          `refused probes ${refusedProbes.length}; lost ${lost.length}, refused but present ${ghosts.length}, ` +
          `groups mismatched ${mismatched.length}, wrong decisions ${wrongDecisions}\n`,
      );
      expect(lost).toEqual([]);
      expect(ghosts).toEqual([]);
      expect(mismatched).toEqual([]);
      expect(wrongDecisions).toBe(0);
      expect(sum('refused503') + sum('unknown')).toBeGreaterThan(0); // the faults really happened
    } finally {
      await db.end();
    }
  }, 300_000);
});

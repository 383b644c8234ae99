/**
 * The failover drill: three instances behind HAProxy and PgBouncer, in front of PostgreSQL
 * under Patroni (three nodes, synchronous replication, HAProxy to the leader). An Okta- and
 * an Entra-shaped client push users and membership changes; midway the leader's machine
 * dies (Patroni and PostgreSQL SIGKILLed) and Patroni promotes the synchronous standby;
 * later a planned switchover. While the leader is gone, a grant every instance has cached is
 * revoked. Afterwards: no acknowledged write lost, no refused write applied, memberships
 * exact, decisions through the load balancer exact, the revoked grant refused by every
 * instance, and every instance ready again without a restart.
 */
import { startFleet, type Fleet } from '../../bench/fleet.js';
import { FAILOVER_SETTINGS, startPatroniCluster, type PatroniCluster } from '../../bench/patroni-cluster.js';
import { IdpClient, type Counts } from '../support/idp-client.js';
import { DrillLedger, runIdp, setUpDrill, verdictOf, type DrillOrg } from '../support/drill-workload.js';

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const USERS_PER_CLIENT = 100;

describe('failover drill', () => {
  let cluster: PatroniCluster;
  let fleet: Fleet;
  let org: DrillOrg;

  /** A decision as a factory service asks for it: a 503 (Retry-After) is asked again. */
  async function decide(url: string, user: string): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      const res = await fetch(`${url}/v1/access/check`, {
        method: 'POST',
        headers: { authorization: `Bearer ${org.apiToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ user, scope: 'ci:read-update' }),
      });
      if (res.status === 503 && attempt < 50) {
        await new Promise((r) => setTimeout(r, 200));
        continue;
      }
      expect(res.status).toBe(200);
      return ((await res.json()) as { allowed: boolean }).allowed;
    }
  }

  beforeAll(async () => {
    cluster = await startPatroniCluster({ database: 'identity_bridge_drill' });
    fleet = await startFleet({ databaseUrl: cluster.url, env: { SCIM_RATE_LIMIT: '0' } });
    org = await setUpDrill(cluster.url, fleet.url, 'Failover Corp');
  }, 180_000);

  afterAll(async () => {
    await fleet?.stop();
    await cluster?.stop();
  });

  it('loses no acknowledged write, applies no refused one and serves no revoked grant through a failover and a switchover', async () => {
    const okta = new IdpClient(fleet.url, org.oktaToken);
    const entra = new IdpClient(fleet.url, org.entraToken);
    const ledger = new DrillLedger(org.groupIds.length);
    const total = USERS_PER_CLIENT * 2;

    // A user in the mapped group whose grant every instance has decided (and cached) before the failover.
    const revoker = new IdpClient(fleet.url, org.oktaToken);
    const revoked = (await revoker.definite('POST', '/Users', { userName: 'revoked@fleet.example' })).body.id as string;
    await revoker.definite('PATCH', `/Groups/${org.groupIds[0]!}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'add', path: 'members', value: [{ value: revoked }] }],
    });
    for (const url of fleet.instanceUrls) expect(await decide(url, revoked)).toBe(true);

    let killedAt = 0;
    let leader = '';
    const drill = (async () => {
      while (ledger.progress < total * 0.3) await new Promise((r) => setTimeout(r, 50));
      leader = await cluster.killLeader();
      killedAt = Date.now();
      // Revoked while the old leader is gone and the instances' change feeds are down.
      await revoker.definite('PATCH', `/Groups/${org.groupIds[0]!}`, {
        schemas: [PATCH_OP],
        Operations: [{ op: 'remove', path: `members[value eq "${revoked}"]` }],
      });
      await cluster.revive(leader);
      while (ledger.progress < total * 0.7) await new Promise((r) => setTimeout(r, 50));
      await cluster.switchover();
    })();
    await Promise.all([
      runIdp(okta, 'okta', USERS_PER_CLIENT, org, ledger),
      runIdp(entra, 'entra', USERS_PER_CLIENT, org, ledger),
      drill,
    ]);

    // The window: from the kill to the first write acknowledged of those sent after it (a
    // write committed just before the kill may be answered just after).
    const acknowledged = [...okta.writesAcknowledged, ...entra.writesAcknowledged, ...revoker.writesAcknowledged];
    const window = (Math.min(...acknowledged.filter((a) => a.sentAt > killedAt).map((a) => a.at)) - killedAt) / 1000;

    // Every instance: ready again by itself, and none serves the revoked grant.
    let ready = 0;
    for (const url of fleet.instanceUrls) {
      let status = 0;
      for (let k = 0; k < 100 && status !== 200; k++) {
        status = (await fetch(`${url}/readyz`)).status;
        if (status !== 200) await new Promise((r) => setTimeout(r, 200));
      }
      expect(status).toBe(200);
      ready += 1;
    }
    const staleGrants = (await Promise.all(fleet.instanceUrls.map((url) => decide(url, revoked)))).filter(
      Boolean,
    ).length;

    const verdict = await verdictOf(cluster.url, org, ledger, (user) => decide(fleet.url, user), new Set([revoked]));
    const c = [okta.counts, entra.counts, revoker.counts];
    const sum = (k: keyof Counts): number => c.reduce((n, x) => n + x[k], 0);
    process.stdout.write(
      `failover drill (Patroni ttl ${FAILOVER_SETTINGS.ttl} s, loop_wait ${FAILOVER_SETTINGS.loop_wait} s, synchronous_mode): ` +
        `leader ${leader} killed; requests ${sum('sent')}, acknowledged ${sum('acknowledged')}, refused 503 ${sum('refused503')}, ` +
        `no definite answer ${sum('unknown')}; lost ${verdict.lost.length}, refused but present ${verdict.ghosts.length}, ` +
        `groups mismatched ${verdict.mismatched.length}, wrong decisions ${verdict.wrongDecisions}, stale revoked grants ${staleGrants}; ` +
        `first write sent after the kill acknowledged ${window.toFixed(1)} s after it; /readyz 200 on ${ready} of ${fleet.instanceUrls.length} instances, none restarted\n`,
    );
    expect(verdict.duplicateUserNames).toBe(0);
    expect(verdict.lost).toEqual([]);
    expect(verdict.ghosts).toEqual([]);
    expect(verdict.mismatched).toEqual([]);
    expect(verdict.members[0]!.has(revoked)).toBe(false);
    expect(verdict.wrongDecisions).toBe(0);
    expect(staleGrants).toBe(0);
    expect(window).toBeLessThanOrEqual(30);
    expect(sum('refused503') + sum('unknown')).toBeGreaterThan(0); // the failover really happened
  }, 420_000);
});

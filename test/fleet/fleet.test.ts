/**
 * The fleet drill: three instances behind HAProxy and PgBouncer (transaction pooling) on a
 * PostgreSQL of its own. An Okta-shaped and an Entra-shaped SCIM client push users and
 * membership changes to the same groups at once; midway one instance is killed and
 * PostgreSQL is restarted. The clients retry what got no definite answer, as IdPs do.
 * Afterwards: every acknowledged create and membership change is in the database, no
 * refused create is, memberships equal what the clients were told, userNames are unique,
 * and every decision (through the load balancer) follows the final memberships.
 */
import { startFleet, type Fleet } from '../../bench/fleet.js';
import { startScratchPostgres, type ScratchPostgres } from '../../bench/scratch-postgres.js';
import { IdpClient, type Counts } from '../support/idp-client.js';
import { DrillLedger, runIdp, setUpDrill, verdictOf, type DrillOrg } from '../support/drill-workload.js';

const USERS_PER_CLIENT = 120;

describe('fleet drill', () => {
  let postgres: ScratchPostgres;
  let fleet: Fleet;
  let org: DrillOrg;

  beforeAll(async () => {
    postgres = await startScratchPostgres();
    fleet = await startFleet({ databaseUrl: postgres.url, env: { SCIM_RATE_LIMIT: '0' } });
    org = await setUpDrill(postgres.url, fleet.url, 'Fleet Corp');
  }, 120_000);

  afterAll(async () => {
    await fleet?.stop();
    postgres?.stop();
  });

  it('loses no acknowledged write and applies no refused one through an instance kill and a PostgreSQL restart', async () => {
    const okta = new IdpClient(fleet.url, org.oktaToken);
    const entra = new IdpClient(fleet.url, org.entraToken);
    const ledger = new DrillLedger(org.groupIds.length);
    const total = USERS_PER_CLIENT * 2;

    // Around the faults, a third client fires single-attempt creates: whichever are refused must not exist.
    const prober = new IdpClient(fleet.url, org.oktaToken);
    let faultsOver = false;
    const probing = (async () => {
      while (ledger.progress < total * 0.35) await new Promise((r) => setTimeout(r, 20));
      for (let k = 0; !faultsOver; k++) {
        const name = `drill-probe-${k}@fleet.example`;
        ledger.probe(name, await prober.single('POST', '/Users', { userName: name }));
      }
    })();
    const drill = (async () => {
      while (ledger.progress < total * 0.4) await new Promise((r) => setTimeout(r, 50));
      await fleet.kill(1);
      await postgres.restart();
      await new Promise((r) => setTimeout(r, 1500));
      faultsOver = true;
    })();
    await Promise.all([
      runIdp(okta, 'okta', USERS_PER_CLIENT, org, ledger),
      runIdp(entra, 'entra', USERS_PER_CLIENT, org, ledger),
      drill,
      probing,
    ]);

    // Decisions through the load balancer follow the final memberships of the mapped group.
    const verdict = await verdictOf(postgres.url, org, ledger, async (user) => {
      const res = await fetch(`${fleet.url}/v1/access/check`, {
        method: 'POST',
        headers: { authorization: `Bearer ${org.apiToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ user, scope: 'ci:read-update' }),
      });
      return ((await res.json()) as { allowed: boolean }).allowed;
    });
    const c = [okta.counts, entra.counts, prober.counts];
    const sum = (k: keyof Counts): number => c.reduce((n, x) => n + x[k], 0);
    process.stdout.write(
      `fleet drill: requests sent ${sum('sent')}, acknowledged ${sum('acknowledged')}, refused 503 ${sum('refused503')}, ` +
        `refused 429 ${sum('refused429')}, no definite answer ${sum('unknown')}; users ${verdict.users}, ` +
        `refused probes ${ledger.refusedProbes.length}; lost ${verdict.lost.length}, refused but present ${verdict.ghosts.length}, ` +
        `groups mismatched ${verdict.mismatched.length}, wrong decisions ${verdict.wrongDecisions}\n`,
    );
    expect(verdict.duplicateUserNames).toBe(0);
    expect(verdict.lost).toEqual([]);
    expect(verdict.ghosts).toEqual([]);
    expect(verdict.mismatched).toEqual([]);
    expect(verdict.wrongDecisions).toBe(0);
    expect(sum('refused503') + sum('unknown')).toBeGreaterThan(0); // the faults really happened
  }, 300_000);
});

/**
 * The workload and the verdict of the fleet drills: an org with two SCIM tokens (Okta- and
 * Entra-shaped clients), a decision API token, a team, and shared groups (the first mapped to
 * the team); each client creates users and adds and removes them on the shared groups,
 * retrying what got no definite answer, with single-attempt probe creates in between. The
 * verdict reads the database: acknowledged writes lost, refused probes present, groups that
 * differ from what the clients were told, decisions that differ from the final memberships.
 */
import pg from 'pg';
import { benchServices } from '../../bench/service-process.js';
import { CLI_ACTOR } from '../../src/domain/actor.js';
import { openStore } from '../../src/store/open-store.js';
import { IdpClient } from './idp-client.js';

type Json = Record<string, unknown>;
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const DRILL_GROUPS = 4;

export interface DrillOrg {
  readonly orgId: string;
  readonly connectionId: string;
  readonly groupIds: readonly string[];
  readonly oktaToken: string;
  readonly entraToken: string;
  readonly apiToken: string;
}

/** What the clients were told, gathered as they go. */
export class DrillLedger {
  /** Acknowledged users (and probes): id by userName. */
  readonly created = new Map<string, string>();
  /** Probe creates refused (503/429): they must not exist afterwards. */
  readonly refusedProbes: string[] = [];
  /** Members each group should have, as the clients last set them. */
  readonly expected: Array<Set<string>>;
  /** Users done, over both clients. */
  progress = 0;

  constructor(groups: number) {
    this.expected = Array.from({ length: groups }, () => new Set<string>());
  }

  /** Notes a single-attempt create's answer. */
  probe(userName: string, answer: { status: number; body: Json } | undefined): void {
    if (answer && answer.status === 201) this.created.set(userName, answer.body.id as string);
    else if (answer && (answer.status === 503 || answer.status === 429)) this.refusedProbes.push(userName);
  }
}

/** The org, its tokens, team and shared groups (the first mapped to team builders), through the fleet. */
export async function setUpDrill(databaseUrl: string, fleetUrl: string, orgName: string): Promise<DrillOrg> {
  const store = await openStore({ client: 'pg', url: databaseUrl, poolMax: 2 }, { migrate: false });
  try {
    const s = benchServices(store);
    const orgId = (await s.organizations.create(orgName, CLI_ACTOR)).id;
    const connectionId = (await s.connections.create(orgId, { kind: 'okta', name: 'IdP' }, CLI_ACTOR)).id;
    const oktaToken = (await s.scimTokens.issue(orgId, connectionId, CLI_ACTOR, 'okta-shaped')).token;
    const entraToken = (await s.scimTokens.issue(orgId, connectionId, CLI_ACTOR, 'entra-shaped')).token;
    const apiToken = (await s.adminTokens.issue(orgId, CLI_ACTOR, { role: 'User' })).token;
    await s.teams.create(orgId, { name: 'builders', scopes: ['ci:read-update'] }, CLI_ACTOR);
    const setup = new IdpClient(fleetUrl, oktaToken);
    const groupIds: string[] = [];
    for (let g = 0; g < DRILL_GROUPS; g++) {
      groupIds.push(
        (await setup.definite('POST', '/Groups', { displayName: `Shared ${g}`, members: [] })).body.id as string,
      );
    }
    await s.mappings.create(orgId, { connectionId, group: groupIds[0]!, teams: ['builders'] }, CLI_ACTOR);
    return { orgId, connectionId, groupIds, oktaToken, entraToken, apiToken };
  } finally {
    await store.db.destroy();
  }
}

/** One IdP's work: `users` users, each added to two shared groups, every third removed from one again, then a probe. */
export async function runIdp(
  client: IdpClient,
  shape: 'okta' | 'entra',
  users: number,
  org: DrillOrg,
  ledger: DrillLedger,
): Promise<void> {
  const groups = org.groupIds.length;
  for (let i = 0; i < users; i++) {
    const userName = `${shape}-${i}@fleet.example`;
    let answer = await client.definite('POST', '/Users', { userName, active: true, externalId: `${shape}-${i}` });
    if (answer.status === 409) {
      // An earlier attempt was applied but its answer lost: the IdP looks the user up.
      const found = await client.definite('GET', `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`);
      answer = { status: 201, body: ((found.body.Resources as Json[])[0] ?? {}) as Json };
    }
    if (answer.status !== 201) throw new Error(`create ${userName}: ${answer.status} ${JSON.stringify(answer.body)}`);
    const id = answer.body.id as string;
    ledger.created.set(userName, id);
    const [g1, g2] = [i % groups, (i + 1) % groups];
    for (const g of [g1, g2]) {
      const add =
        shape === 'okta'
          ? {
              schemas: [PATCH_OP],
              Operations: [{ op: 'add', path: 'members', value: [{ value: id, display: userName }] }],
            }
          : { schemas: [PATCH_OP], Operations: [{ op: 'Add', path: 'members', value: [{ value: id }] }] };
      const added = await client.definite('PATCH', `/Groups/${org.groupIds[g]!}`, add);
      if (added.status >= 300) throw new Error(`add to group ${g}: ${added.status}`);
      ledger.expected[g]!.add(id);
    }
    if (i % 3 === 0) {
      const remove =
        shape === 'okta'
          ? { schemas: [PATCH_OP], Operations: [{ op: 'remove', path: 'members', value: [{ value: id }] }] }
          : { schemas: [PATCH_OP], Operations: [{ op: 'Remove', path: `members[value eq "${id}"]` }] };
      const removed = await client.definite('PATCH', `/Groups/${org.groupIds[g2]!}`, remove);
      if (removed.status >= 300) throw new Error(`remove from group ${g2}: ${removed.status}`);
      ledger.expected[g2]!.delete(id);
    }
    // A probe create that is never retried: if it is refused, it must not exist afterwards.
    const probe = `${shape}-probe-${i}@fleet.example`;
    ledger.probe(probe, await client.single('POST', '/Users', { userName: probe }));
    ledger.progress += 1;
  }
}

export interface DrillVerdict {
  readonly users: number;
  readonly duplicateUserNames: number;
  readonly lost: ReadonlyArray<[string, string]>;
  readonly ghosts: readonly string[];
  readonly mismatched: readonly string[];
  /** Each group's members in the database, ignored users included. */
  readonly members: ReadonlyArray<ReadonlySet<string>>;
  readonly wrongDecisions: number;
}

/**
 * Reads the outcome from the database. `decide(userId)` asks whether the user may
 * ci:read-update (the mapped group's grant); `ignored` users are left out of the comparison.
 */
export async function verdictOf(
  databaseUrl: string,
  org: DrillOrg,
  ledger: DrillLedger,
  decide: (userId: string) => Promise<boolean>,
  ignored: ReadonlySet<string> = new Set(),
): Promise<DrillVerdict> {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const users = (
      await db.query('SELECT id, user_name, user_name_lower FROM directory_users WHERE org_id = $1', [org.orgId])
    ).rows as Array<{ id: string; user_name: string; user_name_lower: string }>;
    const byName = new Map(users.map((u) => [u.user_name, u.id]));
    const members = (await db.query('SELECT group_id, user_id FROM group_memberships WHERE org_id = $1', [org.orgId]))
      .rows as Array<{ group_id: string; user_id: string }>;
    const mismatched = org.groupIds.filter((group, g) => {
      const a = members
        .filter((m) => m.group_id === group && !ignored.has(m.user_id))
        .map((m) => m.user_id)
        .sort();
      const e = [...ledger.expected[g]!].sort();
      return a.length !== e.length || a.some((x, k) => x !== e[k]);
    });
    let wrongDecisions = 0;
    for (const [name, id] of ledger.created) {
      if (name.includes('probe-')) continue;
      if ((await decide(id)) !== ledger.expected[0]!.has(id)) wrongDecisions += 1;
    }
    return {
      users: users.length,
      duplicateUserNames: users.length - new Set(users.map((u) => u.user_name_lower)).size,
      lost: [...ledger.created].filter(([name, id]) => byName.get(name) !== id),
      ghosts: ledger.refusedProbes.filter((name) => byName.has(name)),
      mismatched,
      members: org.groupIds.map((group) => new Set(members.filter((m) => m.group_id === group).map((m) => m.user_id))),
      wrongDecisions,
    };
  } finally {
    await db.end();
  }
}

/** The access-model CLI: team, map, access, policy, audit and api-token commands, as deployment scripts use them. */
import { CLI_ACTOR } from '../../src/domain/actor.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { aGroup, aUser } from '../support/factories.js';
import { cli } from '../support/run-cli.js';
import { testServices } from '../support/test-services.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

describe('CLI for teams, mappings and access', () => {
  let database: TestDatabase;
  let env: Record<string, string>;
  let store: Store;
  let org: string;
  let connection: string;
  let groupId: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    env = { DATABASE_URL: database.url };
    store = await openStore(database.config, { migrate: false });
    const s = testServices(store);
    const o = await s.organizations.create('Lab Corp', CLI_ACTOR);
    org = o.slug;
    const c = await s.connections.create(o.id, { kind: 'okta', name: 'Okta' }, CLI_ACTOR);
    connection = c.id;
    const dana = aUser(o.id, { connectionId: c.id, userName: 'dana@lab.example' });
    await store.repos.users.insert(dana);
    const group = aGroup(o.id, { connectionId: c.id, displayName: 'Lab Devs', externalId: 'okta-00g1' });
    await store.repos.groups.insert(group);
    await store.repos.groups.addMembers(o.id, group.id, [dana.id], new Date().toISOString());
    groupId = group.id;
  });

  afterAll(async () => {
    await store.db.destroy();
    await database.drop();
  });

  it('creates a team with scopes and a device group, maps a group to it, and explains and checks access', async () => {
    const created = await cli(
      env,
      'team',
      'create',
      '--org',
      org,
      '--name',
      'lab-dev-users',
      '--scope',
      'devices:read',
      '--json',
    );
    expect(created.code).toBe(0);
    expect(created.json()).toMatchObject({ name: 'lab-dev-users', scopes: ['devices:read'] });
    expect((await cli(env, 'team', 'add-scope', '--org', org, 'lab-dev-users', 'devices:read-update')).code).toBe(0);
    expect((await cli(env, 'team', 'add-device-group', '--org', org, 'lab-dev-users', 'test-lab-devices')).code).toBe(
      0,
    );

    const mapped = await cli(
      env,
      'map',
      'create',
      '--org',
      org,
      '--connection',
      connection,
      '--group',
      'okta-00g1',
      '--match',
      'external_id',
      '--team',
      'lab-dev-users',
      '--role',
      'Admin',
      '--json',
    );
    expect(mapped.code).toBe(0);
    expect(mapped.json()).toMatchObject({ membershipsChanged: 1, mapping: { matchBy: 'external_id', role: 'Admin' } });

    const listed = await cli(env, 'team', 'list', '--org', org, '--json');
    expect(listed.json<Array<{ members: unknown; deviceGroups: string[] }>>()[0]).toMatchObject({
      deviceGroups: ['test-lab-devices'],
      members: { idp: 1, manual: 0 },
    });

    const explained = await cli(env, 'access', 'explain', '--org', org, 'dana@lab.example');
    expect(explained.code).toBe(0);
    expect(explained.stdout).toContain('role Admin: from IdP group "Lab Devs"');
    expect(explained.stdout).toContain('device group test-lab-devices: read, read-update');

    const allowed = await cli(
      env,
      'access',
      'check',
      '--org',
      org,
      'dana@lab.example',
      'devices:read-update',
      '--device-group',
      'test-lab-devices',
      '--json',
    );
    expect(allowed.json()).toMatchObject({ allowed: true });
    expect(allowed.code).toBe(0);
    const denied = await cli(
      env,
      'access',
      'check',
      '--org',
      org,
      'dana@lab.example',
      'devices:read-update',
      '--device-group',
      'prod',
    );
    expect(denied.stdout).toMatch(
      /^denied: devices:read-update is granted to "dana@lab.example" only on device groups "test-lab-devices"/,
    );
    // Scripts branch on the status: a denial is not success.
    expect([denied.code, denied.stderr]).toEqual([3, '']);
  });

  it("prints a person's access history: the mapping that gave dana her team and role, newest first", async () => {
    const printed = await cli(env, 'access', 'history', '--org', org, 'dana@lab.example');
    expect(printed.code).toBe(0);
    const lines = printed.stdout.trim().split('\n');
    expect(lines[0]).toBe('dana@lab.example:');
    expect(lines[1]).toMatch(
      /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ {2}became a member of the org; role User → Admin; joined team lab-dev-users; gained devices:read, devices:read-update on test-lab-devices\. An operator \(CLI\) created the mapping of group external_id=okta-00g1$/,
    );
    const json = await cli(env, 'access', 'history', '--org', org, 'dana@lab.example', '--json');
    expect(json.json<{ items: Array<{ cause: { action: string } }> }>().items[0]!.cause.action).toBe('mapping.created');
    const unknown = await cli(env, 'access', 'history', '--org', org, 'nobody@lab.example');
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/nobody@lab\.example/);
  });

  it('refuses an unknown scope and a grant beyond the policy with exit code 2 and a clear message', async () => {
    const unknown = await cli(env, 'team', 'create', '--org', org, '--name', 'robots', '--scope', 'robots:read');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/Unknown scope "robots:read"/);
    expect((await cli(env, 'policy', 'set', '--org', org, '--deny', 'devices:delete')).code).toBe(0);
    const beyond = await cli(env, 'team', 'create', '--org', org, '--name', 'wreckers', '--scope', 'devices:*');
    expect(beyond.code).toBe(2);
    expect(beyond.stderr).toMatch(/devices:delete \(the org policy denies devices:delete\)/);
    const policy = await cli(env, 'policy', 'show', '--org', org, '--json');
    expect(policy.json()).toMatchObject({ deniedScopes: ['devices:delete'] });
  });

  it('lists the audit trail of those changes and deletes a mapping, taking its memberships away', async () => {
    const mappings = (await cli(env, 'map', 'list', '--org', org, '--json')).json<Array<{ id: string }>>();
    expect(mappings).toHaveLength(1);
    const deleted = await cli(env, 'map', 'delete', '--org', org, mappings[0]!.id, '--json');
    expect(deleted.json()).toMatchObject({ membershipsChanged: 1 });
    const audit = await cli(env, 'audit', 'list', '--org', org, '--json');
    const actions = audit.json<Array<{ action: string; actorType: string }>>().map((e) => e.action);
    expect(actions).toEqual(
      expect.arrayContaining(['mapping.deleted', 'policy.updated', 'team.updated', 'mapping.created', 'team.created']),
    );
    expect((await cli(env, 'audit', 'list', '--org', org, '--since', 'yesterday-ish')).code).toBe(2);
    expect(groupId).toBeDefined();
  });

  it('issues an API token for the decision API, recognisable by its prefix and stored as a hash', async () => {
    const issued = await cli(env, 'api-token', 'issue', '--org', org, '--json');
    expect(issued.code).toBe(0);
    const { id, token } = issued.json<{ id: string; token: string }>();
    expect(token).toMatch(/^ibapi_/);
    const row = (await store.db('admin_tokens').where({ id }).first()) as {
      token_hash: string;
      role: string;
      kind: string;
    };
    expect(row.token_hash).not.toContain(token);
    expect(row).toMatchObject({ role: 'User', kind: 'api' });
  });

  it('rotates the access-token signing key, keeping the previous one for verification', async () => {
    const first = (await cli(env, 'signing-key', 'rotate', '--json')).json<{ kid: string }>().kid;
    const second = (await cli(env, 'signing-key', 'rotate', '--json')).json<{ kid: string }>().kid;
    const third = await cli(env, 'signing-key', 'rotate', '--json');
    expect(third.code).toBe(0);
    const active = (await store.db('signing_keys').whereNull('retired_at')) as Array<{
      kid: string;
      private_jwk_encrypted: string;
    }>;
    expect(active.map((k) => k.kid).sort()).toEqual([second, third.json<{ kid: string }>().kid].sort());
    expect(active.map((k) => k.kid)).not.toContain(first);
    expect(active[0]!.private_jwk_encrypted).toMatch(/^v1\./);
  });
});

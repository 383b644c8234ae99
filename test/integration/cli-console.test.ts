/** The CLI's console operations: map preview and update, audit export, setup-link. */
import { CLI_ACTOR } from '../../src/domain/actor.js';
import type { Services } from '../../src/services.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { aGroup, aUser } from '../support/factories.js';
import { cli } from '../support/run-cli.js';
import { testServices } from '../support/test-services.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

type Json = Record<string, unknown>;

describe('CLI for console operations', () => {
  let database: TestDatabase;
  let env: Record<string, string>;
  let store: Store;
  let services: Services;
  let orgId: string;
  let connection: string;
  let groupId: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    env = { DATABASE_URL: database.url };
    store = await openStore(database.config, { migrate: false });
    services = testServices(store);
    const o = await services.organizations.create('Preview Corp', CLI_ACTOR);
    orgId = o.id;
    const c = await services.connections.create(o.id, { kind: 'okta', name: 'Okta' }, CLI_ACTOR);
    connection = c.id;
    const users = ['ann@preview.example', 'ben@preview.example'].map((userName) =>
      aUser(o.id, { connectionId: c.id, userName }),
    );
    for (const u of users) await store.repos.users.insert(u);
    const group = aGroup(o.id, { connectionId: c.id, displayName: 'Builders' });
    await store.repos.groups.insert(group);
    await store.repos.groups.addMembers(
      o.id,
      group.id,
      users.map((u) => u.id),
      new Date().toISOString(),
    );
    groupId = group.id;
    await services.teams.create(o.id, { name: 'builders', scopes: ['ci:read-update'] }, CLI_ACTOR);
  });

  afterAll(async () => {
    await store.db.destroy();
    await database.drop();
  });

  it('refuses to map a group the connection does not have, unless told it comes later', async () => {
    const args = ['--org', orgId, '--connection', connection, '--group', 'no-such-group', '--team', 'builders'];
    const refused = await cli(env, 'map', 'create', ...args);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/No group of connection .* has the id "no-such-group".*--allow-unmatched/);
    expect(await services.mappings.list(orgId)).toEqual([]);
    const early = await cli(env, 'map', 'create', ...args, '--allow-unmatched', '--json');
    expect(early.code).toBe(0);
    const id = early.json<{ mapping: { id: string } }>().mapping.id;
    await services.mappings.delete(orgId, id, CLI_ACTOR);
  });

  it('previews a mapping without saving it, then update --preview shows what a change would remove', async () => {
    const args = ['--org', orgId, '--connection', connection, '--group', groupId, '--team', 'builders'];
    const preview = await cli(env, 'map', 'preview', ...args, '--json');
    expect(preview.code).toBe(0);
    const body = preview.json<{ affectedUsers: number; users: Json[] }>();
    expect(body.affectedUsers).toBe(2);
    expect(body.users.map((u) => u.gains)).toEqual([
      { teams: ['builders'], scopes: ['ci:read-update'], deviceGroups: [] },
      { teams: ['builders'], scopes: ['ci:read-update'], deviceGroups: [] },
    ]);
    expect(await services.mappings.list(orgId)).toEqual([]);
    const human = await cli(env, 'map', 'preview', ...args);
    expect(human.stdout).toMatch(/2 user\(s\) in the group; 2 of those listed would change/);
    expect(human.stdout).toMatch(/ann@preview\.example .* team builders, ci:read-update/);

    const created = await cli(env, 'map', 'create', ...args, '--json');
    const id = (created.json<{ mapping: Json }>().mapping.id as string) ?? '';
    const dryRun = await cli(env, 'map', 'update', '--org', orgId, id, '--no-teams', '--preview', '--json');
    // Without a team, the member falls back to the User role's default grant (every scope).
    const ann = dryRun.json<{ users: Json[] }>().users[0]!;
    expect(ann.losses).toEqual({ teams: ['builders'], scopes: [], deviceGroups: [] });
    expect((ann.gains as { scopes: string[] }).scopes).toContain('source:delete');
    expect((await services.access.effectiveAccess(orgId, 'ann@preview.example')).teams.map((t) => t.name)).toEqual([
      'builders',
    ]);
    const updated = await cli(env, 'map', 'update', '--org', orgId, id, '--role', 'Admin', '--json');
    expect(updated.code).toBe(0);
    expect((await services.access.effectiveAccess(orgId, 'ann@preview.example')).role).toBe('Admin');
  });

  it('exports the audit log as CSV, filtered', async () => {
    const out = await cli(env, 'audit', 'export', '--org', orgId, '--action', 'team.created');
    expect(out.code).toBe(0);
    const lines = out.stdout.trim().split('\r\n');
    expect(lines[0]).toMatch(/^occurredAt,actorType,/);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain(',team.created,team,');
    expect((await cli(env, 'audit', 'export', '--org', orgId, '--since', 'yesterday-ish')).code).toBe(2);
  });

  it('rotates a SCIM token: the new one authenticates, the old one no longer does', async () => {
    const issued = await cli(env, 'scim-token', 'issue', '--connection', connection, '--json');
    const old = issued.json<{ id: string; token: string }>();
    const rotated = await cli(env, 'scim-token', 'rotate', old.id, '--json');
    expect(rotated.code).toBe(0);
    const fresh = rotated.json<{ id: string; token: string; revoked: string }>();
    expect(fresh.revoked).toBe(old.id);
    await expect(services.scimTokens.authenticate(fresh.token)).resolves.toMatchObject({ connectionId: connection });
    await expect(services.scimTokens.authenticate(old.token)).rejects.toMatchObject({ status: 401 });
    expect((await cli(env, 'scim-token', 'rotate', old.id)).code).toBe(2);
  });

  it('issues a setup link for an org, which signs its holder in as Owner', async () => {
    const out = await cli(env, 'setup-link', '--org', orgId, '--json');
    expect(out.code).toBe(0);
    const link = out.json<{ url: string; expiresAt: string }>();
    const secret = new URL(link.url).hash.slice(1);
    expect(await services.consoleAccess.inspect(secret)).toEqual({ needsOrgName: false });
    const session = await services.consoleAccess.redeem(secret, undefined);
    expect(session.orgId).toBe(orgId);
    expect((await services.consoleAccess.authenticate(session.token))?.role).toBe('Owner');
  });
});

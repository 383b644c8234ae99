/** One org's ids never reach another org's rows through any org-scoped repository. */
import { randomUUID } from 'node:crypto';
import { CLI_ACTOR } from '../../src/domain/actor.js';
import type { Services } from '../../src/services.js';
import type { Store } from '../../src/store/store.js';
import { aGroup, aTeam, aUser } from '../support/factories.js';
import { createTestStore } from '../support/test-database.js';
import { testServices } from '../support/test-services.js';

interface Tenant {
  orgId: string;
  connectionId: string;
  tokenId: string;
  userId: string;
  groupId: string;
  teamId: string;
  mappingId: string;
  sessionHash: string;
}

describe('tenant isolation of repositories', () => {
  let services: Services;
  let store: Store;
  let close: () => Promise<void>;
  let a: Tenant;
  let b: Tenant;

  async function tenant(name: string): Promise<Tenant> {
    const org = await services.organizations.create(name, CLI_ACTOR);
    const connection = await services.connections.create(org.id, { kind: 'okta', name: 'Okta' }, CLI_ACTOR);
    const token = await services.scimTokens.issue(org.id, connection.id, CLI_ACTOR);
    const repos = store.repos;
    const at = new Date().toISOString();
    const user = aUser(org.id, { connectionId: connection.id, userName: 'dana@example.com', externalId: 'ext-1' });
    await repos.users.insert(user);
    const group = aGroup(org.id, { connectionId: connection.id, externalId: 'g-1', displayName: 'Engineering' });
    await repos.groups.insert(group);
    await repos.groups.addMembers(org.id, group.id, [user.id], at);
    const team = aTeam(org.id, { name: 'Platform' });
    await repos.teams.insert(team);
    await repos.teams.setScopes(org.id, team.id, ['ci:read']);
    await repos.teams.addMember(org.id, team.id, user.id, 'manual', at);
    const mappingId = randomUUID();
    await repos.mappings.insert({
      id: mappingId,
      orgId: org.id,
      connectionId: connection.id,
      matchBy: 'id',
      matchValue: group.id,
      grantsMembership: true,
      role: 'Admin',
      teamIds: [team.id],
      version: 1,
      createdAt: at,
      updatedAt: at,
    });
    const sessionHash = randomUUID().replace(/-/g, '').padEnd(64, '0');
    await repos.sessions.insert({
      idHash: sessionHash,
      orgId: org.id,
      userId: user.id,
      connectionId: connection.id,
      protocol: 'saml',
      data: null,
      createdAt: at,
      lastSeenAt: at,
      expiresAt: new Date(Date.now() + 3600_000).toISOString(),
      revokedAt: null,
    });
    return {
      orgId: org.id,
      connectionId: connection.id,
      tokenId: token.id,
      userId: user.id,
      groupId: group.id,
      teamId: team.id,
      mappingId,
      sessionHash,
    };
  }

  beforeAll(async () => {
    const t = await createTestStore();
    store = t.store;
    services = testServices(store);
    close = t.close;
    a = await tenant('Org A');
    b = await tenant('Org B');
  });

  afterAll(async () => {
    await close();
  });

  it('reads nothing of another org by id', async () => {
    const r = store.repos;
    expect(await r.connections.get(a.orgId, b.connectionId)).toBeUndefined();
    expect(await r.scimTokens.get(a.orgId, b.tokenId)).toBeUndefined();
    expect(await r.users.get(a.orgId, b.userId)).toBeUndefined();
    expect(await r.groups.get(a.orgId, b.groupId)).toBeUndefined();
    expect(await r.teams.get(a.orgId, b.teamId)).toBeUndefined();
    expect(await r.mappings.get(a.orgId, b.mappingId)).toBeUndefined();
    expect(await r.groups.memberIds(a.orgId, b.groupId)).toEqual([]);
    expect(await r.groups.groupIdsOf(a.orgId, b.userId)).toEqual([]);
    expect(await r.teams.scopes(a.orgId, b.teamId)).toEqual([]);
    expect(await r.teams.memberships(a.orgId, b.userId)).toEqual([]);
  });

  it('lists only the org own rows', async () => {
    const r = store.repos;
    expect((await r.connections.list(a.orgId)).map((c) => c.id)).toEqual([a.connectionId]);
    expect((await r.scimTokens.listForConnection(a.orgId, b.connectionId)).length).toBe(0);
    expect((await r.users.list(a.orgId, { offset: 0, limit: 100 })).map((u) => u.id)).toEqual([a.userId]);
    expect((await r.groups.list(a.orgId, { offset: 0, limit: 100 })).map((g) => g.id)).toEqual([a.groupId]);
    expect((await r.teams.list(a.orgId)).map((t) => t.id)).toEqual([a.teamId]);
    expect((await r.mappings.list(a.orgId)).map((m) => m.id)).toEqual([a.mappingId]);
    expect(await r.users.count(a.orgId)).toBe(1);
    const audit = await r.audit.list(a.orgId, { limit: 100 });
    expect(audit.length).toBeGreaterThan(0);
    expect(audit.every((e) => e.orgId === a.orgId)).toBe(true);
  });

  it('finds a userName only within its own org (both orgs hold the same one)', async () => {
    const r = store.repos;
    expect((await r.users.findByUserName(a.orgId, 'DANA@example.com'))?.id).toBe(a.userId);
    expect((await r.users.findByUserName(b.orgId, 'dana@example.com'))?.id).toBe(b.userId);
  });

  it('changes nothing of another org', async () => {
    const r = store.repos;
    const at = new Date().toISOString();
    expect(await r.groups.addMembers(a.orgId, a.groupId, [b.userId], at)).toBe(0);
    expect(await r.groups.addMembers(a.orgId, b.groupId, [a.userId], at)).toBe(0);
    expect(await r.groups.removeMembers(a.orgId, b.groupId, [b.userId])).toBe(0);
    expect(await r.users.delete(a.orgId, b.userId)).toBe(false);
    expect(await r.groups.delete(a.orgId, b.groupId)).toBe(false);
    expect(await r.teams.delete(a.orgId, b.teamId)).toBe(false);
    expect(await r.mappings.delete(a.orgId, b.mappingId)).toBe(false);
    expect(await r.connections.delete(a.orgId, b.connectionId)).toBe(false);
    expect(await r.scimTokens.revoke(a.orgId, b.tokenId, at)).toBe(false);
    expect(await r.sessions.revoke(a.orgId, b.sessionHash, at)).toBe(false);
    expect(await r.sessions.revokeAllForUser(a.orgId, b.userId, at)).toBe(0);
    expect(await r.users.replace({ ...aUser(a.orgId), id: b.userId })).toBe(false);

    expect(await r.groups.memberIds(b.orgId, b.groupId)).toEqual([b.userId]);
    expect(await r.users.get(b.orgId, b.userId)).toBeDefined();
    expect(await r.teams.get(b.orgId, b.teamId)).toBeDefined();
    expect((await r.scimTokens.get(b.orgId, b.tokenId))?.revokedAt).toBeNull();
    expect(await r.sessions.findLive(b.sessionHash, at)).toBeDefined();
  });

  it('keeps email domains to the connection that claimed them', async () => {
    const r = store.repos;
    const at = new Date().toISOString();
    expect(await r.connections.addDomain(a.orgId, a.connectionId, 'Org-A.example', at)).toBe(true);
    expect(await r.connections.addDomain(b.orgId, b.connectionId, 'org-a.example', at)).toBe(false);
    expect(await r.connections.findByDomain('ORG-A.example')).toEqual({ orgId: a.orgId, connectionId: a.connectionId });
    expect(await r.connections.domains(b.orgId, a.connectionId)).toEqual([]);
    expect(await r.connections.removeDomain(b.orgId, 'org-a.example')).toBe(false);
    expect(await r.connections.domains(a.orgId, a.connectionId)).toEqual(['org-a.example']);
  });

  it('authenticates a SCIM token to its own org and connection only', async () => {
    const org = await services.organizations.create('Org C', CLI_ACTOR);
    const connection = await services.connections.create(org.id, { kind: 'entra', name: 'Entra' }, CLI_ACTOR);
    const { token } = await services.scimTokens.issue(org.id, connection.id, CLI_ACTOR);
    expect(await services.scimTokens.authenticate(token)).toMatchObject({ orgId: org.id, connectionId: connection.id });
  });
});

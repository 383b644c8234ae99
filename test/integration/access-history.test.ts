/**
 * Access history end to end: Okta's SCIM pushes and an admin's edits change a person's
 * access, and their history says what changed, when and why, in the same transaction as
 * the change (a write that fails records nothing).
 */
import { CLI_ACTOR } from '../../src/domain/actor.js';
import { newConnection, type ScimClient } from '../support/scim-client.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

type Json = Record<string, unknown>;
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

interface Entry {
  id: string;
  occurredAt: string;
  changes: Json;
  summary: string[];
  cause: Json;
  causeText: string;
}
interface HistoryPage {
  user: { id: string; userName: string; deleted: boolean };
  items: Entry[];
  nextCursor: string | null;
}

describe('access history', () => {
  let server: TestServer;
  let okta: ScimClient;
  let adminToken: string;
  let oktaName: string;

  async function history(user: string, query = ''): Promise<{ status: number; body: HistoryPage }> {
    const res = await fetch(`${server.url}/admin/api/v1/users/${encodeURIComponent(user)}/access-history${query}`, {
      headers: { authorization: `Bearer ${adminToken}` },
    });
    return { status: res.status, body: (await res.json()) as HistoryPage };
  }

  async function pushUser(userName: string): Promise<string> {
    const res = await okta.request<Json>('POST', '/Users', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      userName,
      name: { givenName: 'Walter', familyName: 'Skinner' },
      emails: [{ primary: true, value: userName, type: 'work' }],
      active: true,
    });
    expect(res.status).toBe(201);
    return res.body.id as string;
  }

  async function pushGroup(displayName: string, members: string[]): Promise<string> {
    const created = await okta.request<Json>('POST', '/Groups', { displayName, members: [] });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    if (members.length) {
      const patched = await okta.request('PATCH', `/Groups/${id}`, {
        schemas: [PATCH_OP],
        Operations: [{ op: 'add', path: 'members', value: members.map((value) => ({ value })) }],
      });
      expect(patched.status).toBe(204);
    }
    return id;
  }

  beforeAll(async () => {
    server = await startTestServer();
    okta = await newConnection(server.running.services, server.url, 'okta');
    adminToken = (await server.running.services.adminTokens.issue(okta.orgId, CLI_ACTOR, { role: 'Admin' })).token;
    oktaName = (await server.running.store.repos.connections.get(okta.orgId, okta.connectionId))!.name;
    await server.running.services.teams.create(
      okta.orgId,
      { name: 'test-lab-devices', scopes: ['devices:read-update'], deviceGroups: ['test-lab-devices'] },
      CLI_ACTOR,
    );
  });

  afterAll(async () => {
    await server.close();
  });

  it('tells that Okta removed walter from Test Lab and he lost devices:read-update on test-lab-devices, naming the request', async () => {
    const s = server.running.services;
    const walter = await pushUser('walter@example.com');
    const group = await pushGroup('Test Lab', [walter]);
    await s.mappings.create(
      okta.orgId,
      { connectionId: okta.connectionId, group, teams: ['test-lab-devices'] },
      CLI_ACTOR,
    );
    const removed = await okta.request('PATCH', `/Groups/${group}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'remove', path: `members[value eq "${walter}"]` }],
    });
    expect(removed.status).toBe(204);
    const requestId = removed.headers.get('x-request-id');

    const res = await history('walter@example.com');
    expect(res.status).toBe(200);
    expect(res.body.user).toEqual({ id: walter, userName: 'walter@example.com', deleted: false });
    const [lost, gained] = res.body.items;
    expect(lost!.summary).toEqual(
      expect.arrayContaining([
        'stopped being a member of the org',
        'left team test-lab-devices',
        'lost devices:read-update on test-lab-devices',
      ]),
    );
    expect(lost!.changes).toMatchObject({
      member: { from: true, to: false },
      deviceRights: { gained: [], lost: [{ deviceGroup: 'test-lab-devices', scope: 'devices:read-update' }] },
    });
    expect(lost!.cause).toMatchObject({
      action: 'group.members_changed',
      membership: 'removed',
      operation: 'SCIM PATCH',
      connectionName: oktaName,
      requestId,
    });
    expect(lost!.causeText).toBe(
      `${oktaName} removed walter@example.com from group Test Lab, SCIM PATCH, request ${requestId}`,
    );
    // Before that, the mapping gave him the team: the admin's change is told as its cause.
    expect(gained!.cause).toMatchObject({ action: 'mapping.created', actor: { type: 'cli' } });
    expect(gained!.summary).toEqual(expect.arrayContaining(['joined team test-lab-devices']));
    expect(gained!.causeText).toMatch(/^An operator \(CLI\) created the mapping of group Test Lab/);
  });

  it('records a deactivation, a reactivation and a deletion, and still finds the deleted person', async () => {
    const fox = await pushUser('fox@example.com');
    const group = await pushGroup('Viewers', [fox]);
    await server.running.services.mappings.create(okta.orgId, { connectionId: okta.connectionId, group }, CLI_ACTOR);
    const setActive = (active: boolean) =>
      okta.request('PATCH', `/Users/${fox}`, {
        schemas: [PATCH_OP],
        Operations: [{ op: 'replace', value: { active } }],
      });
    expect((await setActive(false)).status).toBe(200);
    expect((await setActive(true)).status).toBe(200);
    expect((await okta.request('DELETE', `/Users/${fox}`)).status).toBe(204);

    const res = await history(fox);
    expect(res.status).toBe(200);
    expect(res.body.user).toEqual({ id: fox, userName: 'fox@example.com', deleted: true });
    const actions = res.body.items.map((e) => e.cause.action);
    expect(actions).toEqual(['user.deleted', 'user.reactivated', 'user.deactivated', 'mapping.created']);
    expect(res.body.items[0]!.changes).toMatchObject({ deleted: true, member: { from: true, to: false } });
    expect(res.body.items[0]!.causeText).toBe(
      `${oktaName} deleted fox@example.com, SCIM DELETE, request ${String(res.body.items[0]!.cause.requestId)}`,
    );
    expect(res.body.items[2]!.summary[0]).toBe('was deactivated');
    expect((await history('fox@example.com')).body.user.id).toBe(fox);
  });

  it('records nothing for a change that reaches nobody’s access (a group no mapping names)', async () => {
    const mulder = await pushUser('mulder@example.com');
    await pushGroup('Unmapped', [mulder]);
    const profile = await okta.request('PATCH', `/Users/${mulder}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'replace', value: { 'name.givenName': 'Fox W.' } }],
    });
    expect(profile.status).toBe(200);
    expect((await history(mulder)).body.items).toEqual([]);
  });

  it('records every member of a mapped group when a policy edit narrows what they hold, and pages the history', async () => {
    const s = server.running.services;
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(await pushUser(`ci${i}@example.com`));
    const group = await pushGroup('CI', ids);
    await s.teams.create(okta.orgId, { name: 'ci', scopes: ['ci:read', 'ci:read-update'] }, CLI_ACTOR);
    await s.mappings.create(okta.orgId, { connectionId: okta.connectionId, group, teams: ['ci'] }, CLI_ACTOR);
    await s.policies.update(okta.orgId, { deniedScopes: ['ci:read-update'] }, CLI_ACTOR);
    for (const id of ids) {
      const items = (await history(id)).body.items;
      expect(items.map((e) => e.cause.action)).toEqual(['policy.updated', 'mapping.created']);
      expect(items[0]!.changes).toEqual({ scopes: { gained: [], lost: expect.arrayContaining(['ci:read-update']) } });
      expect(items[0]!.summary).toEqual([expect.stringMatching(/^lost .*ci:read-update/)]);
      expect(items[0]!.causeText).toBe('An operator (CLI) changed the org policy');
    }
    const first = await history(ids[0]!, '?limit=1');
    expect(first.body.items).toHaveLength(1);
    expect(first.body.nextCursor).not.toBeNull();
    const second = await history(ids[0]!, `?limit=1&cursor=${first.body.nextCursor}`);
    expect(second.body.items.map((e) => e.cause.action)).toEqual(['mapping.created']);
    expect(second.body.nextCursor).toBeNull();
  });

  it('records the access a user has from creation in an org that makes every provisioned user a member', async () => {
    const s = server.running.services;
    const other = await newConnection(s, server.url, 'entra');
    await s.policies.update(other.orgId, { membership: 'all_provisioned' }, CLI_ACTOR);
    const created = await other.request<Json>('POST', '/Users', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      userName: 'newcomer@example.com',
      active: true,
    });
    expect(created.status).toBe(201);
    const token = (await s.adminTokens.issue(other.orgId, CLI_ACTOR, { role: 'Admin' })).token;
    const res = await fetch(`${server.url}/admin/api/v1/users/newcomer@example.com/access-history`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const body = (await res.json()) as HistoryPage;
    expect(body.items).toHaveLength(1);
    expect(body.items[0]!.changes).toMatchObject({ member: { from: false, to: true } });
    expect(body.items[0]!.cause).toMatchObject({ action: 'user.created', operation: 'SCIM POST' });
  });

  it('answers 404 for a person it never knew and 400 for a cursor it did not issue', async () => {
    expect((await history('nobody@example.com')).status).toBe(404);
    expect((await history('walter@example.com', '?cursor=bogus')).status).toBe(400);
  });
});

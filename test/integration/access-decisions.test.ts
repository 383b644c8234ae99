/**
 * The access model end to end over HTTP: an Okta-shaped group push, a mapping, decisions;
 * then SCIM changes (member removed, user deactivated, group renamed, user deleted) and
 * admin changes (team edit, mapping delete, policy) flip the very next decision.
 */
import { CLI_ACTOR } from '../../src/domain/actor.js';
import { newConnection, type ScimClient } from '../support/scim-client.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

type Json = Record<string, unknown>;
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

interface Decision {
  allowed: boolean;
  reason: string;
}

describe('access decisions over HTTP', () => {
  let server: TestServer;
  let okta: ScimClient;
  let apiToken: string;

  async function api<T = Json>(
    method: string,
    path: string,
    body?: unknown,
    token = apiToken,
  ): Promise<{ status: number; body: T }> {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as T };
  }

  async function check(user: string, scope: string, deviceGroup?: string): Promise<Decision> {
    const res = await api<Decision>('POST', '/v1/access/check', {
      user,
      scope,
      ...(deviceGroup ? { deviceGroup } : {}),
    });
    expect(res.status).toBe(200);
    return res.body;
  }

  async function pushUser(userName: string): Promise<string> {
    const res = await okta.request<Json>('POST', '/Users', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      userName,
      name: { givenName: 'Dana', familyName: 'Scully' },
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
    const patched = await okta.request('PATCH', `/Groups/${id}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'add', path: 'members', value: members.map((value) => ({ value })) }],
    });
    expect(patched.status).toBe(204);
    return id;
  }

  beforeAll(async () => {
    server = await startTestServer();
    okta = await newConnection(server.running.services, server.url, 'okta');
    apiToken = (await server.running.services.adminTokens.issue(okta.orgId, CLI_ACTOR, { role: 'User' })).token;
  });

  afterAll(async () => {
    await server.close();
  });

  it('turns a pushed group, a mapping and a team into a decision, and a member removal flips it at once', async () => {
    const s = server.running.services;
    const dana = await pushUser('dana@example.com');
    const fox = await pushUser('fox@example.com');
    const group = await pushGroup('CI Writers', [dana, fox]);
    await s.teams.create(okta.orgId, { name: 'read-write-ci', scopes: ['ci:read-update'] }, CLI_ACTOR);

    expect((await check('dana@example.com', 'ci:read-update')).allowed).toBe(false);
    await s.mappings.create(
      okta.orgId,
      { connectionId: okta.connectionId, group, teams: ['read-write-ci'] },
      CLI_ACTOR,
    );

    const allowed = await check('dana@example.com', 'ci:read-update');
    expect(allowed).toEqual({ allowed: true, reason: expect.stringContaining('team "read-write-ci"'), userId: dana });
    expect((await check(dana, 'source:read')).allowed).toBe(false);

    const removed = await okta.request('PATCH', `/Groups/${group}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'remove', path: `members[value eq "${dana}"]` }],
    });
    expect(removed.status).toBe(204);
    const after = await check('dana@example.com', 'ci:read-update');
    expect(after.allowed).toBe(false);
    expect(after.reason).toMatch(/not a member/);
    expect((await check('fox@example.com', 'ci:read-update')).allowed).toBe(true);
  });

  it('denies a user the moment the IdP deactivates them, and allows again on reactivation', async () => {
    const s = server.running.services;
    const walter = await pushUser('walter@example.com');
    const group = await pushGroup('Viewers', [walter]);
    await s.mappings.create(okta.orgId, { connectionId: okta.connectionId, group }, CLI_ACTOR);
    expect((await check(walter, 'source:read')).allowed).toBe(true);

    const setActive = (active: boolean) =>
      okta.request('PATCH', `/Users/${walter}`, {
        schemas: [PATCH_OP],
        Operations: [{ op: 'replace', value: { active } }],
      });
    expect((await setActive(false)).status).toBe(200);
    const denied = await check(walter, 'source:read');
    expect(denied.allowed).toBe(false);
    expect(denied.reason).toMatch(/deactivated/);
    expect((await setActive(true)).status).toBe(200);
    expect((await check(walter, 'source:read')).allowed).toBe(true);
  });

  it('keeps idp team memberships equal to what mappings derive, through renames, deletes and mapping changes', async () => {
    const s = server.running.services;
    const ids = await Promise.all(['a', 'b', 'c'].map((n) => pushUser(`${n}@rename.example`)));
    const group = await pushGroup('Lab Devs', ids);
    const team = await s.teams.create(
      okta.orgId,
      { name: 'lab-dev-users', scopes: ['devices:read-update'], deviceGroups: ['test-lab-devices'] },
      CLI_ACTOR,
    );
    const { mapping, membershipsChanged } = await s.mappings.create(
      okta.orgId,
      { connectionId: okta.connectionId, group: 'Lab Devs', matchBy: 'display_name', teams: [team.id] },
      CLI_ACTOR,
    );
    expect(membershipsChanged).toBe(3);
    const members = async () => (await s.teams.get(okta.orgId, team.id)).members;
    expect(await members()).toEqual({ idp: 3, manual: 0 });
    expect((await check('a@rename.example', 'devices:read-update', 'test-lab-devices')).allowed).toBe(true);
    expect((await check('a@rename.example', 'devices:read-update', 'production')).allowed).toBe(false);

    const renamed = await okta.request('PATCH', `/Groups/${group}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'replace', path: 'displayName', value: 'Lab Developers' }],
    });
    expect(renamed.status).toBe(204);
    expect(await members()).toEqual({ idp: 0, manual: 0 });
    expect((await check('a@rename.example', 'devices:read', 'test-lab-devices')).allowed).toBe(false);

    await s.mappings.delete(okta.orgId, mapping.id, CLI_ACTOR);
    await s.mappings.create(okta.orgId, { connectionId: okta.connectionId, group, teams: [team.id] }, CLI_ACTOR);
    expect(await members()).toEqual({ idp: 3, manual: 0 });
    expect((await okta.request('DELETE', `/Users/${ids[0]}`)).status).toBe(204);
    expect(await members()).toEqual({ idp: 2, manual: 0 });
    expect((await okta.request('DELETE', `/Groups/${group}`)).status).toBe(204);
    expect(await members()).toEqual({ idp: 0, manual: 0 });
  });

  it('applies a team edit and a tightened policy to the next decision, showing the suppressed grant', async () => {
    const s = server.running.services;
    const mulder = await pushUser('mulder@example.com');
    const group = await pushGroup('Fleet', [mulder]);
    await s.teams.create(
      okta.orgId,
      { name: 'fleet', scopes: ['devices:*'], deviceGroups: ['fleet-devices'] },
      CLI_ACTOR,
    );
    await s.mappings.create(okta.orgId, { connectionId: okta.connectionId, group, teams: ['fleet'] }, CLI_ACTOR);
    expect((await check(mulder, 'devices:delete', 'fleet-devices')).allowed).toBe(true);

    await s.teams.update(okta.orgId, 'fleet', { scopes: ['devices:read'] }, CLI_ACTOR);
    expect((await check(mulder, 'devices:delete', 'fleet-devices')).allowed).toBe(false);
    await s.teams.update(okta.orgId, 'fleet', { scopes: ['devices:*'] }, CLI_ACTOR);

    await s.policies.update(okta.orgId, { deniedScopes: ['devices:delete'] }, CLI_ACTOR);
    const denied = await check(mulder, 'devices:delete', 'fleet-devices');
    expect(denied.allowed).toBe(false);
    expect(denied.reason).toMatch(/suppressed: the org policy denies devices:delete/);
    await expect(
      s.teams.create(okta.orgId, { name: 'wreckers', scopes: ['devices:delete'] }, CLI_ACTOR),
    ).rejects.toMatchObject({ code: 'policy.exceeded', status: 400 });

    const explained = await api<Json & { explanation: string[]; suppressed: Json[] }>(
      'GET',
      `/v1/access/users/${mulder}`,
    );
    expect(explained.status).toBe(200);
    expect(explained.body.suppressed).toEqual([
      expect.objectContaining({ scope: 'devices:delete', reason: 'the org policy denies devices:delete' }),
    ]);
    expect(explained.body.explanation.join('\n')).toMatch(/team "fleet": IdP group "Fleet" → its mapping/);
    await s.policies.update(okta.orgId, { deniedScopes: [] }, CLI_ACTOR);
  });

  it('reaches device groups by rule 5: owned or created ones, or those a team holds with a devices scope', async () => {
    const s = server.running.services;
    const krycek = await pushUser('krycek@example.com');
    const group = await pushGroup('Robots', [krycek]);
    await s.teams.create(okta.orgId, { name: 'robots', scopes: ['devices:read', 'ci:read'] }, CLI_ACTOR);
    await s.mappings.create(okta.orgId, { connectionId: okta.connectionId, group, teams: ['robots'] }, CLI_ACTOR);

    const noGroups = await check(krycek, 'devices:read', 'test-lab-devices');
    expect(noGroups).toMatchObject({ allowed: false });
    expect(noGroups.reason).toMatch(/team "robots" grants devices:read but holds no device group.*rule 5b/);
    const created = await api<Decision>('POST', '/v1/access/check', {
      user: 'krycek@example.com',
      scope: 'devices:read-update',
      deviceGroup: 'krycek-bench',
      creatorId: krycek,
    });
    expect(created.body).toMatchObject({
      allowed: true,
      reason: expect.stringMatching(/created the device group.*rule 5a/),
    });

    await s.teams.update(okta.orgId, 'robots', { deviceGroups: ['test-lab-devices'] }, CLI_ACTOR);
    const held = await check(krycek, 'devices:read', 'test-lab-devices');
    expect(held).toMatchObject({
      allowed: true,
      reason: expect.stringMatching(/team "robots", which holds it \(rule 5b\)/),
    });
    expect((await check(krycek, 'devices:read-update', 'test-lab-devices')).allowed).toBe(false);
    expect((await check(krycek, 'devices:read', 'production')).allowed).toBe(false);
  });

  it('answers bad requests with 400, unknown users with 404 and missing tokens with 401', async () => {
    const bad = await api<{ error: { code: string } }>('POST', '/v1/access/check', { user: 'x' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('access.invalid_request');
    const unknownScope = await api<{ error: { code: string; message: string } }>('POST', '/v1/access/check', {
      user: 'dana@example.com',
      scope: 'robots:read',
    });
    expect(unknownScope.status).toBe(400);
    expect(unknownScope.body.error.code).toBe('scope.unknown');
    expect((await api('POST', '/v1/access/check', { user: 'nobody@example.com', scope: 'ci:read' })).status).toBe(404);
    const anonymous = await fetch(`${server.url}/v1/access/users/x`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer/);
  });

  it("never decides or explains for another org's users with an org's token", async () => {
    const s = server.running.services;
    const other = await newConnection(s, server.url, 'entra');
    const created = await other.request<Json>('POST', '/Users', { userName: 'skinner@other.example' });
    const skinner = created.body.id as string;
    expect((await api('POST', '/v1/access/check', { user: skinner, scope: 'ci:read' })).status).toBe(404);
    expect((await api('POST', '/v1/access/check', { user: 'skinner@other.example', scope: 'ci:read' })).status).toBe(
      404,
    );
    expect((await api('GET', `/v1/access/users/${skinner}`)).status).toBe(404);
    const otherToken = (await s.adminTokens.issue(other.orgId, CLI_ACTOR, { role: 'User' })).token;
    expect((await api('GET', `/v1/access/users/${skinner}`, undefined, otherToken)).status).toBe(200);
    expect((await api('GET', '/v1/access/users/dana@example.com', undefined, otherToken)).status).toBe(404);
  });

  it('writes an audit event with actor, request id and before/after for SCIM, team, mapping and policy changes', async () => {
    const events = await server.running.store.repos.audit.list(okta.orgId, { limit: 500 });
    const actions = new Set(events.map((e) => e.action));
    for (const action of ['team.created', 'team.updated', 'mapping.created', 'mapping.deleted', 'policy.updated']) {
      expect(actions).toContain(action);
    }
    const deactivated = events.find((e) => e.action === 'user.deactivated')!;
    expect(deactivated).toMatchObject({
      actorType: 'scim',
      actorId: expect.any(String),
      requestId: expect.any(String),
      data: { before: { active: true }, after: { active: false } },
    });
    const update = events.find((e) => e.action === 'team.updated')!;
    expect(update.data).toMatchObject({ before: expect.any(Object), after: expect.any(Object) });
    const teamsBefore = await server.running.services.teams.list(okta.orgId);
    await expect(
      server.running.services.teams.create(okta.orgId, { name: 'broken', scopes: ['nope:read'] }, CLI_ACTOR),
    ).rejects.toMatchObject({ code: 'scope.unknown' });
    expect(await server.running.services.teams.list(okta.orgId)).toHaveLength(teamsBefore.length);
  });
});

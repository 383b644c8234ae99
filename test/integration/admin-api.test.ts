/**
 * The admin REST API over HTTP: authentication and roles, problem+json errors, tenancy,
 * and every resource (connections, directory, teams, mappings with preview, policy,
 * access, audit). Runs on SQLite and on PostgreSQL.
 */
import { CLI_ACTOR } from '../../src/domain/actor.js';
import { adminClient, type AdminClient } from '../support/admin-client.js';
import { createKeyPair, idpMetadataXml } from '../support/saml-idp.js';
import { newConnection, type ScimClient } from '../support/scim-client.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

type Json = Record<string, unknown>;
type Problem = { type: string; title: string; status: number; detail: string; code: string; errors?: Json[] };

describe('admin API', () => {
  let server: TestServer;
  let okta: ScimClient;
  let owner: AdminClient;
  let admin: AdminClient;
  let userToken: AdminClient;
  let otherOwner: AdminClient;
  let otherOrg: ScimClient;
  const userIds: Record<string, string> = {};
  let engineersGroup: string;

  async function pushUser(userName: string, active = true): Promise<string> {
    const res = await okta.request<Json>('POST', '/Users', {
      userName,
      displayName: userName.split('@')[0],
      emails: [{ value: userName, primary: true, type: 'work' }],
      active,
    });
    expect(res.status).toBe(201);
    return res.body.id as string;
  }

  beforeAll(async () => {
    server = await startTestServer();
    const s = server.running.services;
    okta = await newConnection(s, server.url, 'okta');
    const issue = async (orgId: string, role: 'Owner' | 'Admin' | 'User') =>
      (await s.adminTokens.issue(orgId, CLI_ACTOR, { role })).token;
    owner = adminClient(server.url, { token: await issue(okta.orgId, 'Owner') });
    admin = adminClient(server.url, { token: await issue(okta.orgId, 'Admin') });
    userToken = adminClient(server.url, { token: await issue(okta.orgId, 'User') });
    otherOrg = await newConnection(s, server.url, 'entra');
    otherOwner = adminClient(server.url, { token: await issue(otherOrg.orgId, 'Owner') });

    for (const name of ['ada@example.com', 'bob@example.com', 'cy@example.com']) userIds[name] = await pushUser(name);
    userIds['dee@example.com'] = await pushUser('dee@example.com', false);
    const group = await okta.request<Json>('POST', '/Groups', {
      displayName: 'Engineers',
      members: [{ value: userIds['ada@example.com'] }, { value: userIds['bob@example.com'] }],
    });
    expect(group.status).toBe(201);
    engineersGroup = group.body.id as string;
  });

  afterAll(async () => {
    await server?.close();
  });

  describe('authentication and roles', () => {
    it('refuses a request without credentials with a 401 problem', async () => {
      const res = await adminClient(server.url, {}).request<Problem>('GET', '/teams');
      expect(res.status).toBe(401);
      expect(res.contentType).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ status: 401, code: 'auth.unauthenticated', title: 'Unauthorized' });
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    });

    it('refuses an unknown token and a SCIM token', async () => {
      expect(
        (await adminClient(server.url, { token: 'ibadm_000000000000_nope' }).request('GET', '/teams')).status,
      ).toBe(401);
      expect((await adminClient(server.url, { token: okta.token }).request('GET', '/teams')).status).toBe(401);
    });

    it('gives a User-role token (the decision API token) 403 everywhere', async () => {
      for (const path of ['/teams', '/connections', '/policy', '/audit', '/users']) {
        const res = await userToken.request<Problem>('GET', path);
        expect(res.status).toBe(403);
        expect(res.body.code).toBe('auth.role');
      }
    });

    it('lets an Admin manage teams but not policy, connections or admin tokens', async () => {
      expect((await admin.request('GET', '/policy')).status).toBe(403);
      expect((await admin.request('PUT', '/policy', { membership: 'all_provisioned' })).status).toBe(403);
      expect((await admin.request('POST', '/connections', { kind: 'okta', name: 'Second' })).status).toBe(403);
      expect((await admin.request('POST', '/admin-tokens', { role: 'Owner' })).status).toBe(403);
      expect((await admin.request('GET', '/connections')).status).toBe(200);
      const team = await admin.request('POST', '/teams', { name: 'admins-can', scopes: ['ci:read'] });
      expect(team.status).toBe(201);
      expect((await admin.request('DELETE', '/teams/admins-can')).status).toBe(204);
    });

    it('lets an Owner read and change the policy', async () => {
      const before = await owner.request<Json>('GET', '/policy');
      expect(before.status).toBe(200);
      expect(before.body.membership).toBe('mapped');
      const after = await owner.request<Json>('PUT', '/policy', { deniedScopes: ['targets:delete'] });
      expect(after.status).toBe(200);
      expect(after.body.deniedScopes).toEqual(['targets:delete']);
      expect((await owner.request<Json>('PUT', '/policy', { deniedScopes: [] })).body.deniedScopes).toEqual([]);
    });

    it('guards every route: 401 without credentials, 403 for a User token, 403 for an Admin on Owner routes', async () => {
      const document = (await (await fetch(`${server.url}/admin/api/openapi.json`)).json()) as {
        paths: Record<string, Record<string, Json>>;
      };
      const anonymous = adminClient(server.url, {});
      for (const [p, methods] of Object.entries(document.paths)) {
        for (const [method, op] of Object.entries(methods)) {
          if (op['x-required-role'] === 'none') continue;
          const concrete = p.replace(/\{[^}]+\}/g, 'x');
          const body = method === 'get' || method === 'delete' ? undefined : {};
          const who = `${method.toUpperCase()} ${p}`;
          expect([who, (await anonymous.request(method.toUpperCase(), concrete, body)).status]).toEqual([who, 401]);
          expect([who, (await userToken.request(method.toUpperCase(), concrete, body)).status]).toEqual([who, 403]);
          if (op['x-required-role'] === 'Owner') {
            expect([who, (await admin.request(method.toUpperCase(), concrete, body)).status]).toEqual([who, 403]);
          }
        }
      }
    });

    it('lets an Owner issue admin tokens that work at once, with the role asked for', async () => {
      const issued = await owner.request<{ token: string }>('POST', '/admin-tokens', {
        role: 'Admin',
        description: 'CI',
      });
      expect(issued.status).toBe(201);
      const me = await adminClient(server.url, { token: issued.body.token }).request<Json>('GET', '/session');
      expect(me.body.role).toBe('Admin');
    });

    it('tells who is calling through /session', async () => {
      const res = await admin.request<Json>('GET', '/session');
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ role: 'Admin', via: 'token', csrfToken: null, org: { id: okta.orgId } });
    });
  });

  describe('validation', () => {
    it('answers a body that breaks the schema with a problem listing each field', async () => {
      const res = await admin.request<Problem>('POST', '/teams', { name: 5, scopes: 'ci:read' });
      expect(res.status).toBe(400);
      expect(res.contentType).toMatch(/^application\/problem\+json/);
      expect(res.body.code).toBe('request.invalid');
      expect(res.body.errors?.map((e) => e.path).sort()).toEqual(['name', 'scopes']);
    });

    it('answers malformed JSON, an unknown scope and a forged cursor with 400 problems', async () => {
      const malformed = await admin.request<Problem>('POST', '/teams', '{"name": ');
      expect(malformed.status).toBe(400);
      expect(malformed.body.code).toBe('request.invalid_json');
      const scope = await admin.request<Problem>('POST', '/teams', { name: 'x', scopes: ['rockets:launch'] });
      expect(scope.status).toBe(400);
      expect(scope.body.detail).toMatch(/rockets/);
      const cursor = await admin.request<Problem>('GET', '/users?cursor=bm90LWEtY3Vyc29y');
      expect(cursor.status).toBe(400);
      expect(cursor.body.code).toBe('request.invalid_cursor');
      const limit = await admin.request<Problem>('GET', '/users?limit=100000');
      expect(limit.status).toBe(400);
      expect(limit.body.errors?.[0]?.path).toBe('limit');
    });

    it('answers an unknown route and an unknown team with 404 problems', async () => {
      const route = await admin.request<Problem>('GET', '/nothing-here');
      expect(route.status).toBe(404);
      expect(route.contentType).toMatch(/problem\+json/);
      expect((await admin.request<Problem>('GET', '/teams/no-such-team')).body.status).toBe(404);
    });
  });

  describe('tenancy', () => {
    it("never shows or changes another org's resources", async () => {
      const ada = userIds['ada@example.com']!;
      const team = await admin.request<Json>('POST', '/teams', { name: 'private-team' });
      const tokens = await owner.request<{ items: Json[] }>('GET', `/connections/${okta.connectionId}/scim-tokens`);
      const tokenId = tokens.body.items[0]!.id as string;
      const attempts: Array<[string, string, unknown?]> = [
        ['GET', `/connections/${okta.connectionId}`],
        ['GET', `/connections/${okta.connectionId}/scim-tokens`],
        ['POST', `/connections/${okta.connectionId}/scim-tokens`, {}],
        ['DELETE', `/connections/${otherOrg.connectionId}/scim-tokens/${tokenId}`],
        ['GET', `/users/${ada}`],
        ['GET', `/access/users/${ada}`],
        ['POST', '/access/check', { user: ada, scope: 'ci:read' }],
        ['GET', `/teams/${team.body.id as string}`],
        ['PATCH', `/teams/${team.body.id as string}`, { description: 'taken over' }],
        ['POST', '/mappings', { connectionId: okta.connectionId, group: engineersGroup }],
      ];
      for (const [method, path, body] of attempts) {
        const res = await otherOwner.request<Problem>(method, path, body);
        expect([method, path, res.status]).toEqual([method, path, 404]);
      }
      const users = await otherOwner.request<{ items: Json[] }>('GET', '/users');
      expect(users.body.items).toEqual([]);
      const audit = await otherOwner.request<{ items: Json[] }>('GET', '/audit?limit=500');
      expect(audit.body.items.some((e) => e.targetId === team.body.id)).toBe(false);
      expect((await admin.request<Json>('GET', '/teams/private-team')).body.description).toBeNull();
    });
  });

  describe('connections', () => {
    it('creates a connection and shows what to enter at the IdP', async () => {
      const res = await owner.request<Json>('POST', '/connections', { kind: 'entra', name: 'Entra ID' });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        kind: 'entra',
        name: 'Entra ID',
        scimBaseUrl: `${server.url}/scim/v2`,
        saml: null,
        oidc: null,
        tokens: [],
        status: { users: 0, groups: 0, lastScimRequestAt: null, lastScimError: null },
      });
      expect((res.body.samlEndpoints as Json).acsUrl).toBe(`${server.url}/sso/${res.body.id as string}/saml/acs`);
    });

    it('issues a SCIM token once, lists it without the secret, rotates and revokes it', async () => {
      const created = await owner.request<Json>('POST', '/connections', { kind: 'okta', name: 'Okta rotation' });
      const id = created.body.id as string;
      const issued = await owner.request<{ id: string; token: string }>('POST', `/connections/${id}/scim-tokens`, {
        description: 'Okta',
      });
      expect(issued.status).toBe(201);
      expect(issued.body.token).toMatch(/^ibscim_/);
      const scim = (token: string) =>
        fetch(`${server.url}/scim/v2/Users?count=1`, { headers: { authorization: `Bearer ${token}` } }).then(
          (r) => r.status,
        );
      expect(await scim(issued.body.token)).toBe(200);
      const listed = await owner.request<{ items: Json[] }>('GET', `/connections/${id}/scim-tokens`);
      expect(JSON.stringify(listed.body)).not.toContain(issued.body.token);
      expect(listed.body.items[0]).toMatchObject({ id: issued.body.id, description: 'Okta', revokedAt: null });
      expect(listed.body.items[0]!.lastUsedAt).not.toBeNull();

      const rotated = await owner.request<{ id: string; token: string; revoked: string }>(
        'POST',
        `/connections/${id}/scim-tokens/${issued.body.id}/rotate`,
      );
      expect(rotated.status).toBe(201);
      expect(rotated.body.revoked).toBe(issued.body.id);
      expect(await scim(issued.body.token)).toBe(401);
      expect(await scim(rotated.body.token)).toBe(200);

      const revoked = await owner.request<Json>('DELETE', `/connections/${id}/scim-tokens/${rotated.body.id}`);
      expect(revoked.status).toBe(200);
      expect(revoked.body.revokedAt).not.toBeNull();
      expect(await scim(rotated.body.token)).toBe(401);
    });

    it('shows live status: users and groups received and the last error answered to the IdP', async () => {
      const conflict = await okta.request('POST', '/Users', { userName: 'ada@example.com' });
      expect(conflict.status).toBe(409);
      const res = await admin.request<Json>('GET', `/connections/${okta.connectionId}`);
      expect(res.body.status).toMatchObject({
        users: 4,
        groups: 1,
        lastScimError: { status: 409, method: 'POST', path: '/scim/v2/Users' },
      });
      expect((res.body.status as Json).lastScimRequestAt).not.toBeNull();
    });

    it('takes SAML settings from pasted IdP metadata and OIDC settings without ever returning the secret', async () => {
      const created = await owner.request<Json>('POST', '/connections', { kind: 'entra', name: 'Entra SSO' });
      const id = created.body.id as string;
      const saml = await owner.request<Json>('PUT', `/connections/${id}/saml`, {
        metadataXml: idpMetadataXml(createKeyPair('entra').cert),
        jit: true,
      });
      expect(saml.status).toBe(200);
      expect(saml.body).toMatchObject({ acsUrl: `${server.url}/sso/${id}/saml/acs` });
      const oidc = await owner.request<Json>('PUT', `/connections/${id}/oidc`, {
        issuer: 'https://login.microsoftonline.com/tenant/v2.0',
        clientId: 'client-1',
        clientSecret: 'very-secret-value',
      });
      expect(oidc.status).toBe(200);
      const detail = await admin.request<Json>('GET', `/connections/${id}`);
      expect(detail.body.saml).toMatchObject({
        idpEntityId: 'https://sts.windows.net/tenant/',
        certificates: 1,
        jit: true,
      });
      expect(detail.body.oidc).toMatchObject({ clientId: 'client-1' });
      expect(JSON.stringify(detail.body)).not.toContain('very-secret-value');
      const bad = await owner.request<Problem>('PUT', `/connections/${id}/saml`, { metadataXml: '<not-metadata/>' });
      expect(bad.status).toBe(400);
      const insecure = await owner.request<Problem>('PUT', `/connections/${id}/oidc`, {
        issuer: 'http://idp.example.com',
        clientId: 'c',
        clientSecret: 's',
      });
      expect(insecure.body.code).toBe('sso.insecure_issuer');
    });

    it('adds and removes sign-in domains', async () => {
      const added = await owner.request<Json>('POST', `/connections/${okta.connectionId}/domains`, {
        domain: 'Example.COM',
      });
      expect(added).toMatchObject({ status: 201, body: { domain: 'example.com' } });
      expect(
        (await owner.request<Problem>('POST', `/connections/${okta.connectionId}/domains`, { domain: 'x' })).status,
      ).toBe(400);
      expect((await admin.request<Json>('GET', `/connections/${okta.connectionId}`)).body.domains).toEqual([
        'example.com',
      ]);
      expect((await owner.request('DELETE', `/connections/${okta.connectionId}/domains/example.com`)).status).toBe(204);
      expect((await admin.request<Json>('GET', `/connections/${okta.connectionId}`)).body.domains).toEqual([]);
    });
  });

  describe('directory', () => {
    it('lists users by name with search, status filter and cursor pages', async () => {
      const all = await admin.request<{ items: Json[]; nextCursor: string | null }>('GET', '/users?limit=2');
      expect(all.body.items.map((u) => u.userName)).toEqual(['ada@example.com', 'bob@example.com']);
      const next = await admin.request<{ items: Json[]; nextCursor: string | null }>(
        'GET',
        `/users?limit=2&cursor=${all.body.nextCursor!}`,
      );
      expect(next.body.items.map((u) => u.userName)).toEqual(['cy@example.com', 'dee@example.com']);
      expect(next.body.nextCursor).toBeNull();
      const inactive = await admin.request<{ items: Json[] }>('GET', '/users?status=inactive');
      expect(inactive.body.items.map((u) => u.userName)).toEqual(['dee@example.com']);
      const search = await admin.request<{ items: Json[] }>('GET', '/users?q=BO');
      expect(search.body.items).toEqual([
        expect.objectContaining({ userName: 'bob@example.com', email: 'bob@example.com', active: true }),
      ]);
      const wildcard = await admin.request<{ items: Json[] }>('GET', `/users?q=${encodeURIComponent('%')}`);
      expect(wildcard.body.items).toEqual([]);
    });

    it("shows a user's groups, and groups with their member counts", async () => {
      const ada = await admin.request<Json>('GET', `/users/${userIds['ada@example.com']!}`);
      expect(ada.body).toMatchObject({
        userName: 'ada@example.com',
        groups: [{ id: engineersGroup, displayName: 'Engineers' }],
      });
      const groups = await admin.request<{ items: Json[] }>('GET', '/groups?q=engi');
      expect(groups.body.items).toEqual([expect.objectContaining({ id: engineersGroup, memberCount: 2 })]);
    });
  });

  describe('teams, mappings and access', () => {
    it('pages teams by cursor in name order and filters them by name', async () => {
      for (const name of ['page-b', 'page-a', 'page-c']) await admin.request('POST', '/teams', { name });
      const first = await admin.request<{ items: Json[]; nextCursor: string | null }>('GET', '/teams?q=page-&limit=2');
      expect(first.body.items.map((t) => t.name)).toEqual(['page-a', 'page-b']);
      const rest = await admin.request<{ items: Json[]; nextCursor: string | null }>(
        'GET',
        `/teams?q=page-&limit=2&cursor=${first.body.nextCursor!}`,
      );
      expect(rest.body).toEqual({ items: [expect.objectContaining({ name: 'page-c' })], nextCursor: null });
      for (const name of ['page-a', 'page-b', 'page-c']) await admin.request('DELETE', `/teams/${name}`);
    });

    it('offers the scope catalog as resources × actions', async () => {
      const res = await admin.request<Json>('GET', '/catalog');
      expect(res.body.resources).toEqual(expect.arrayContaining(['ci', 'devices']));
      expect(res.body.actions).toEqual(expect.arrayContaining(['read', 'read-update']));
      expect(res.body.scopes).toContain('devices:read-update');
    });

    it('creates, edits and deletes a team with scopes, device groups and manual members', async () => {
      const created = await admin.request<Json>('POST', '/teams', {
        name: 'lab-dev-users',
        scopes: ['devices:read-update'],
        deviceGroups: ['test-lab-devices'],
      });
      expect(created).toMatchObject({
        status: 201,
        body: { name: 'lab-dev-users', deviceGroups: ['test-lab-devices'] },
      });
      const patched = await admin.request<Json>('PATCH', '/teams/lab-dev-users', { scopes: ['devices:read'] });
      expect(patched.body.scopes).toEqual(['devices:read']);
      expect((await admin.request('POST', '/teams/lab-dev-users/members', { user: 'cy@example.com' })).status).toBe(
        201,
      );
      const shown = await admin.request<Json>('GET', '/teams/lab-dev-users');
      expect(shown.body.memberList).toEqual([
        { userId: userIds['cy@example.com'], userName: 'cy@example.com', source: 'manual' },
      ]);
      expect((await admin.request('DELETE', `/teams/lab-dev-users/members/cy@example.com`)).status).toBe(204);
      expect((await admin.request('DELETE', '/teams/lab-dev-users')).status).toBe(204);
      expect((await admin.request('GET', '/teams/lab-dev-users')).status).toBe(404);
    });

    it('previews a mapping exactly as saving it then grants', async () => {
      await admin.request('POST', '/teams', { name: 'read-write-ci', scopes: ['ci:read-update'] });
      const mapping = {
        connectionId: okta.connectionId,
        group: engineersGroup,
        teams: ['read-write-ci'],
        role: 'Admin',
      };
      const preview = await admin.request<{ affectedUsers: number; changedUsers: number; users: Json[] }>(
        'POST',
        '/mappings/preview',
        { operation: 'create', mapping },
      );
      expect(preview.status).toBe(200);
      expect(preview.body.affectedUsers).toBe(2);
      expect(preview.body.changedUsers).toBe(2);
      const ada = preview.body.users.find((u) => u.userName === 'ada@example.com')!;
      expect(ada.before).toMatchObject({ member: false, teams: [] });
      expect(ada.gains).toEqual({ teams: ['read-write-ci'], scopes: ['ci:read-update'], deviceGroups: [] });
      // Nothing was saved by the preview.
      expect((await admin.request<{ items: Json[] }>('GET', '/mappings')).body.items).toEqual([]);
      const explainedBefore = await admin.request<Json>('GET', '/access/users/ada@example.com');
      expect(explainedBefore.body.member).toBe(false);

      const saved = await admin.request<Json>('POST', '/mappings', mapping);
      expect(saved.status).toBe(201);
      expect(saved.body).toMatchObject({
        group: { id: engineersGroup, displayName: 'Engineers', members: 2 },
        role: 'Admin',
      });
      for (const u of preview.body.users) {
        const now = await admin.request<Json>('GET', `/access/users/${u.userId as string}`);
        const after = u.after as Json;
        expect({
          member: now.body.member,
          role: now.body.role,
          teams: (now.body.teams as Json[]).map((t) => t.name).sort(),
          scopes: [...(now.body.scopes as string[])].sort(),
          deviceGroups: (now.body.deviceGroups as Array<{ name: string; actions: string[] }>)
            .flatMap((d) => d.actions.map((a) => `${d.name}: ${a}`))
            .sort(),
        }).toEqual(after);
      }

      const update = await admin.request<{ users: Json[] }>('POST', '/mappings/preview', {
        operation: 'update',
        mappingId: saved.body.id,
        change: { teams: [] },
      });
      expect(update.body.users.every((u) => (u.losses as Json).teams !== undefined)).toBe(true);
      expect((update.body.users[0]!.losses as Json).teams).toEqual(['read-write-ci']);
      const patched = await admin.request<Json>('PATCH', `/mappings/${saved.body.id as string}`, { teams: [] });
      expect(patched.status).toBe(200);
      const bob = await admin.request<Json>('GET', '/access/users/bob@example.com');
      expect((bob.body.teams as Json[]).map((t) => t.name)).toEqual(
        (update.body.users.find((u) => u.userName === 'bob@example.com')!.after as Json).teams,
      );
      await admin.request('PATCH', `/mappings/${saved.body.id as string}`, { teams: ['read-write-ci'] });

      const removal = await admin.request<{ users: Json[] }>('POST', '/mappings/preview', {
        operation: 'delete',
        mappingId: saved.body.id,
      });
      expect(removal.body.users.map((u) => (u.after as Json).member)).toEqual([false, false]);
    });

    it('previews a policy change (who loses what) without saving it, and shows the scopes a tighter policy cuts', async () => {
      await owner.request('POST', '/teams', { name: 'deployers', scopes: ['targets:create', 'ci:read'] });
      const group = await okta.request<Json>('POST', '/Groups', {
        displayName: 'Deployers',
        members: [{ value: userIds['ada@example.com'] }, { value: userIds['bob@example.com'] }],
      });
      const mapped = await owner.request<Json>('POST', '/mappings', {
        connectionId: okta.connectionId,
        group: group.body.id,
        teams: ['deployers'],
      });
      expect(mapped.status).toBe(201);
      const before = await owner.request<Json>('GET', '/policy');
      const preview = await owner.request<{ affectedUsers: number; changedUsers: number; users: Json[] }>(
        'POST',
        '/policy/preview',
        { deniedScopes: ['targets:create'] },
      );
      expect(preview.status).toBe(200);
      expect(preview.body.changedUsers).toBe(2);
      expect(preview.body.users.map((u) => [u.userName, (u.losses as { scopes: string[] }).scopes])).toEqual([
        ['ada@example.com', ['targets:create']],
        ['bob@example.com', ['targets:create']],
      ]);
      expect((await owner.request<Json>('GET', '/policy')).body).toEqual(before.body);
      expect((await admin.request('POST', '/policy/preview', { deniedScopes: [] })).status).toBe(403);

      await owner.request('PUT', '/policy', { deniedScopes: ['targets:create'] });
      const team = await owner.request<{ suppressed: Json[] }>('GET', '/teams/deployers');
      expect(team.body.suppressed).toEqual([
        { scope: 'targets:create', reason: 'the org policy denies targets:create' },
      ]);
      await owner.request('PUT', '/policy', { deniedScopes: [] });
      await owner.request('DELETE', `/mappings/${mapped.body.id as string}`);
      await owner.request('DELETE', '/teams/deployers');
      await okta.request('DELETE', `/Groups/${group.body.id as string}`);
    });

    it('marks a mapping whose members get every scope (no team, the User default is every scope)', async () => {
      const group = await okta.request<Json>('POST', '/Groups', {
        displayName: 'Contractors',
        members: [{ value: userIds['cy@example.com'] }],
      });
      const preview = await admin.request<{ grantsEveryScope: boolean }>('POST', '/mappings/preview', {
        operation: 'create',
        mapping: { connectionId: okta.connectionId, group: group.body.id },
      });
      expect(preview.body.grantsEveryScope).toBe(true);
      const created = await admin.request<Json>('POST', '/mappings', {
        connectionId: okta.connectionId,
        group: group.body.id,
      });
      expect(created.body.grantsEveryScope).toBe(true);
      await owner.request('PUT', '/policy', { defaultUserScopes: ['ci:read'] });
      const listed = await admin.request<{ items: Json[] }>('GET', '/mappings');
      expect(listed.body.items.find((m) => m.id === created.body.id)).toMatchObject({ grantsEveryScope: false });
      await owner.request('PUT', '/policy', { defaultUserScopes: null });
      await admin.request('DELETE', `/mappings/${created.body.id as string}`);
      await okta.request('DELETE', `/Groups/${group.body.id as string}`);
    });

    it('lets only an Owner map a group to the Owner role', async () => {
      const body = { connectionId: okta.connectionId, group: 'Engineers', matchBy: 'display_name', role: 'Owner' };
      const refused = await admin.request<Problem>('POST', '/mappings', body);
      expect(refused.status).toBe(403);
      const made = await owner.request<Json>('POST', '/mappings', body);
      expect(made.status).toBe(201);
      expect(made.body.warning).toMatch(/renaming/);
      expect((await admin.request('DELETE', `/mappings/${made.body.id as string}`)).status).toBe(403);
      expect((await owner.request('DELETE', `/mappings/${made.body.id as string}`)).status).toBe(204);
    });

    it('answers the access checker and explains the chain group → mapping → team → scope', async () => {
      const allowed = await admin.request<Json>('POST', '/access/check', {
        user: 'ada@example.com',
        scope: 'ci:read-update',
      });
      expect(allowed.body).toMatchObject({ allowed: true, userId: userIds['ada@example.com'] });
      const denied = await admin.request<Json>('POST', '/access/check', { user: 'cy@example.com', scope: 'ci:read' });
      expect(denied.body.allowed).toBe(false);
      expect(denied.body.reason).toMatch(/member/);
      const explained = await admin.request<Json>('GET', '/access/users/ada@example.com');
      const text = (explained.body.explanation as string[]).join('\n');
      expect(text).toMatch(/Engineers/);
      expect(text).toMatch(/read-write-ci/);
      expect(text).toMatch(/ci:read-update/);
    });
  });

  describe('audit', () => {
    it('filters by action and actor, pages by cursor and exports CSV', async () => {
      const teams = await admin.request<{ items: Json[]; nextCursor: string | null }>(
        'GET',
        '/audit?action=team.created&limit=1',
      );
      expect(teams.body.items).toHaveLength(1);
      expect(teams.body.items[0]).toMatchObject({ action: 'team.created', actorType: 'admin' });
      const next = await admin.request<{ items: Json[] }>(
        'GET',
        `/audit?action=team.created&limit=1&cursor=${teams.body.nextCursor!}`,
      );
      expect(next.body.items[0]!.id).not.toBe(teams.body.items[0]!.id);
      const scim = await admin.request<{ items: Json[] }>(
        'GET',
        `/audit?actor=${encodeURIComponent(`SCIM token of connection ${okta.connectionId}`)}&limit=500`,
      );
      expect(scim.body.items.length).toBeGreaterThan(0);
      expect(scim.body.items.every((e) => e.actorType === 'scim')).toBe(true);
      const future = await admin.request<{ items: Json[] }>(
        'GET',
        `/audit?since=${encodeURIComponent('2999-01-01T00:00:00Z')}`,
      );
      expect(future.body.items).toEqual([]);
      const csv = await admin.request<string>('GET', '/audit/export?action=mapping.created');
      expect(csv.status).toBe(200);
      expect(csv.contentType).toMatch(/^text\/csv/);
      const lines = csv.body.trim().split('\r\n');
      expect(lines[0]).toBe(
        'occurredAt,actorType,actorId,actorLabel,action,targetType,targetId,targetLabel,requestId,data',
      );
      expect(lines.slice(1).every((l) => l.includes('mapping.created'))).toBe(true);
      expect(lines.length).toBeGreaterThan(1);
    });

    it('finds events by words of their action and by part of who did them', async () => {
      const words = await admin.request<{ items: Json[] }>(
        'GET',
        `/audit?action=${encodeURIComponent('Team Created')}`,
      );
      expect(words.body.items.length).toBeGreaterThan(0);
      expect(words.body.items.every((e) => e.action === 'team.created')).toBe(true);
      const prefix = await admin.request<{ items: Json[] }>('GET', '/audit?action=mapping&limit=500');
      expect(new Set(prefix.body.items.map((e) => String(e.action).split('.')[0]))).toEqual(new Set(['mapping']));
      const byConnection = await admin.request<{ items: Json[] }>(
        'GET',
        `/audit?actor=${encodeURIComponent(`connection ${okta.connectionId}`)}&limit=500`,
      );
      expect(byConnection.body.items.length).toBeGreaterThan(0);
      expect(byConnection.body.items.every((e) => e.actorType === 'scim')).toBe(true);
      // LIKE's wildcards in the words are taken literally.
      expect((await admin.request<{ items: Json[] }>('GET', '/audit?action=%25')).body.items).toEqual([]);
    });

    it('names the users a membership change added and removed, and finds one person by userName', async () => {
      const cyId = userIds['cy@example.com']!;
      const patched = await okta.request('PATCH', `/Groups/${engineersGroup}`, {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [
          { op: 'add', path: 'members', value: [{ value: cyId }] },
          { op: 'remove', path: `members[value eq "${userIds['ada@example.com']!}"]` },
        ],
      });
      expect(patched.status).toBeLessThan(300);
      const [event] = (
        await admin.request<{ items: Json[] }>('GET', `/audit?action=group.members_changed&target=${engineersGroup}`)
      ).body.items;
      expect(event!.data).toMatchObject({
        added: 1,
        removed: 1,
        addedUsers: ['cy@example.com'],
        removedUsers: ['ada@example.com'],
      });

      // By userName, in any case: the events about them (created) and those naming them.
      const ada = await admin.request<{ items: Json[] }>('GET', '/audit?user=ADA@example.com&limit=500');
      expect(ada.status).toBe(200);
      const actions = ada.body.items.map((e) => e.action);
      expect(actions).toContain('user.created');
      expect(actions).toContain('group.members_changed');
      expect(actions).toContain('group.created'); // Engineers was created with ada in it
      for (const e of ada.body.items) {
        expect(e.targetId === userIds['ada@example.com'] || JSON.stringify(e.data).includes('"ada@example.com"')).toBe(
          true,
        );
      }
      // Not someone else's events, and nothing for a name nobody has.
      const dee = await admin.request<{ items: Json[] }>('GET', '/audit?user=dee@example.com&limit=500');
      expect(dee.body.items.every((e) => String(e.action).startsWith('user.'))).toBe(true);
      expect((await admin.request<{ items: Json[] }>('GET', '/audit?user=nobody@example.com')).body.items).toEqual([]);
      // Another org's admin finds nothing of this org's people.
      expect(
        (await otherOwner.request<{ items: Json[] }>('GET', '/audit?user=ada@example.com&limit=500')).body.items,
      ).toEqual([]);
    });
  });
});

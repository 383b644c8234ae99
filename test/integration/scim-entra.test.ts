/** The request sequences Microsoft Entra ID sends, with and without the aadOptscim062020 behaviour, and a Google-style basic client. */
import { newConnection, type ScimClient } from '../support/scim-client.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

type Json = Record<string, unknown>;
type List = { totalResults: number; Resources: Json[] };
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

function entraUser(upn: string, extra: Json = {}): Json {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE],
    externalId: `guid-${upn}`,
    userName: upn,
    active: true,
    displayName: 'Fox Mulder',
    emails: [{ primary: true, type: 'work', value: upn }],
    meta: { resourceType: 'User' },
    name: { formatted: 'Fox Mulder', familyName: 'Mulder', givenName: 'Fox' },
    roles: [],
    title: null,
    [ENTERPRISE]: { department: 'X-Files', employeeNumber: '1013' },
    ...extra,
  };
}

const q = (filter: string): string => encodeURIComponent(filter);

describe('Microsoft Entra ID provisioning sequences', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });

  afterAll(async () => {
    await server.close();
  });

  it('answers the random-GUID probes with empty ListResponses, not 404', async () => {
    const entra = await newConnection(server.running.services, server.url, 'entra');
    const users = await entra.request<List>(
      'GET',
      `/Users?filter=${q('userName eq "0b7c3a7e-5a4c-4a53-9d1e-8c1f1c0f2d11"')}`,
    );
    expect(users.status).toBe(200);
    expect(users.body).toMatchObject({ totalResults: 0, Resources: [] });
    const groups = await entra.request<List>(
      'GET',
      `/Groups?excludedAttributes=members&filter=${q('displayName eq "5f0e8b1a-0000-4000-8000-000000000000"')}`,
    );
    expect(groups.body.totalResults).toBe(0);
  });

  describe.each([
    ['without aadOptscim062020', false],
    ['with aadOptscim062020', true],
  ])('%s', (_label, modern) => {
    let entra: ScimClient;
    let userId: string;
    const upn = `fox.mulder.${modern ? 'new' : 'old'}@fbi.example`;

    beforeAll(async () => {
      entra = await newConnection(server.running.services, server.url, 'entra');
    });

    it('matches by userName, externalId and work email, then creates with "True" as a boolean', async () => {
      for (const filter of [
        `userName eq "${upn}"`,
        `externalId eq "guid-${upn}"`,
        `emails[type eq "work"].value eq "${upn}"`,
      ]) {
        expect((await entra.request<List>('GET', `/Users?filter=${q(filter)}`)).body.totalResults).toBe(0);
      }
      const created = await entra.request<Json>('POST', '/Users', entraUser(upn, modern ? {} : { active: 'True' }));
      expect(created.status).toBe(201);
      expect(created.body.active).toBe(true);
      expect(created.body[ENTERPRISE]).toEqual({ department: 'X-Files', employeeNumber: '1013' });
      userId = created.body.id as string;
      for (const filter of [
        `userName eq "${upn.toUpperCase()}"`,
        `externalId eq "guid-${upn}"`,
        `emails[type eq "work"].value eq "${upn}"`,
        `${ENTERPRISE}:employeeNumber eq "1013"`,
      ]) {
        const found = await entra.request<List>('GET', `/Users?filter=${q(filter)}`);
        expect(found.body.Resources.map((r) => r.id)).toEqual([userId]);
      }
    });

    it('updates by PATCH: value paths, an absent work phone, the manager and the department', async () => {
      const ops = modern
        ? [
            {
              op: 'replace',
              value: {
                displayName: 'Fox W. Mulder',
                'name.givenName': 'Fox William',
                [`${ENTERPRISE}:department`]: 'Special Investigations',
                [`${ENTERPRISE}:manager`]: 'skinner-id',
              },
            },
            { op: 'add', path: 'phoneNumbers[type eq "work"].value', value: '+1 202 555 0100' },
          ]
        : [
            { op: 'Replace', path: 'displayName', value: 'Fox W. Mulder' },
            { op: 'Replace', path: 'name.givenName', value: 'Fox William' },
            { op: 'Add', path: 'phoneNumbers[type eq "work"].value', value: '+1 202 555 0100' },
            { op: 'Replace', path: 'emails[type eq "work"].value', value: upn },
            { op: 'Replace', path: `${ENTERPRISE}:department`, value: 'Special Investigations' },
            { op: 'Add', path: `${ENTERPRISE}:manager`, value: 'skinner-id' },
          ];
      const res = await entra.request<Json>('PATCH', `/Users/${userId}`, { schemas: [PATCH_OP], Operations: ops });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        displayName: 'Fox W. Mulder',
        name: { givenName: 'Fox William', familyName: 'Mulder' },
        phoneNumbers: [{ type: 'work', value: '+1 202 555 0100' }],
        emails: [{ type: 'work', value: upn, primary: true }],
        [ENTERPRISE]: {
          department: 'Special Investigations',
          employeeNumber: '1013',
          manager: { value: 'skinner-id' },
        },
      });
    });

    it('disables (keeping the user readable and filterable), then re-enables', async () => {
      const disable = modern
        ? [{ op: 'replace', path: 'active', value: false }]
        : [{ op: 'Replace', path: 'active', value: 'False' }];
      const res = await entra.request<Json>('PATCH', `/Users/${userId}`, { schemas: [PATCH_OP], Operations: disable });
      expect(res.body.active).toBe(false);
      expect((await entra.request<Json>('GET', `/Users/${userId}`)).body.active).toBe(false);
      expect(
        (await entra.request<List>('GET', `/Users?filter=${q(`userName eq "${upn}" and active eq false`)}`)).body
          .totalResults,
      ).toBe(1);
      const enable = modern
        ? [{ op: 'replace', value: { active: true } }]
        : [{ op: 'Replace', path: 'active', value: 'True' }];
      expect(
        (await entra.request<Json>('PATCH', `/Users/${userId}`, { schemas: [PATCH_OP], Operations: enable })).body
          .active,
      ).toBe(true);
    });

    it('pushes a group with the Microsoft schema, adds several members, removes only the listed ones', async () => {
      const others: string[] = [];
      for (const n of [1, 2, 3]) {
        const r = await entra.request<Json>('POST', '/Users', entraUser(`agent${n}.${modern ? 'n' : 'o'}@fbi.example`));
        others.push(r.body.id as string);
      }
      const created = await entra.request<Json>('POST', '/Groups', {
        schemas: [
          'urn:ietf:params:scim:schemas:core:2.0:Group',
          'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group',
        ],
        externalId: `group-${modern}`,
        displayName: 'X-Files',
        members: [],
        meta: { resourceType: 'Group' },
      });
      expect(created.status).toBe(201);
      const gid = created.body.id as string;
      const add = await entra.request('PATCH', `/Groups/${gid}`, {
        schemas: [PATCH_OP],
        Operations: [
          { op: modern ? 'add' : 'Add', path: 'members', value: [userId, ...others].map((value) => ({ value })) },
        ],
      });
      expect(add.status).toBe(204);
      const remove = modern
        ? { op: 'remove', path: `members[value eq "${others[0]}"]` }
        : { op: 'Remove', path: 'members', value: [{ value: others[0] }] };
      expect(
        (await entra.request('PATCH', `/Groups/${gid}`, { schemas: [PATCH_OP], Operations: [remove] })).status,
      ).toBe(204);
      const found = await entra.request<List>(
        'GET',
        `/Groups?excludedAttributes=members&filter=${q('displayName eq "x-files"')}`,
      );
      expect(found.body.Resources).toHaveLength(1);
      expect(found.body.Resources[0]).not.toHaveProperty('members');
      const members = ((await entra.request<Json>('GET', `/Groups/${gid}`)).body.members as Json[])
        .map((m) => m.value)
        .sort();
      expect(members).toEqual([userId, others[1], others[2]].sort());
      const byMember = await entra.request<List>('GET', `/Groups?filter=${q(`members[value eq "${others[1]}"]`)}`);
      expect(byMember.body.Resources.map((g) => g.id)).toEqual([gid]);
    });

    it('deletes a user for good (204), removing their memberships', async () => {
      expect((await entra.request('DELETE', `/Users/${userId}`)).status).toBe(204);
      expect((await entra.request<Json>('GET', `/Users/${userId}`)).body).toMatchObject({ status: '404' });
      const groups = await entra.request<List>('GET', `/Groups?filter=${q(`members.value eq "${userId}"`)}`);
      expect(groups.body.totalResults).toBe(0);
    });
  });

  it('follows Microsoft reference expectations: no userName is 400, unknown attributes tolerated, unknown members never a 500', async () => {
    const entra = await newConnection(server.running.services, server.url, 'entra');
    const noName = await entra.request<Json>('POST', '/Users', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      active: true,
    });
    expect(noName.status).toBe(400);
    expect(noName.body).toMatchObject({ status: '400', scimType: 'invalidValue' });
    const created = await entra.request<Json>('POST', '/Users', entraUser('walter@fbi.example'));
    const id = created.body.id as string;
    const put = await entra.request<Json>('PUT', `/Users/${id}`, {
      ...entraUser('walter@fbi.example'),
      someUnknownAttribute: 'x',
    });
    expect(put.status).toBe(200);
    const group = await entra.request<Json>('POST', '/Groups', {
      displayName: 'Ghosts',
      members: [{ value: 'no-such-user' }],
    });
    expect(group.status).toBe(201);
    const patch = await entra.request('PATCH', `/Groups/${group.body.id as string}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'Add', path: 'members', value: [{ value: 'still-no-such-user' }, { value: id }] }],
    });
    expect(patch.status).toBe(204);
    const members = (
      (await entra.request<Json>('GET', `/Groups/${group.body.id as string}`)).body.members as Json[]
    ).map((m) => m.value);
    expect(members).toEqual([id]);
  });

  it('serves a Google-style basic client: count=1 probe, userName lookups, PUT and PATCH of active', async () => {
    const google = await newConnection(server.running.services, server.url, 'google');
    expect((await google.request<List>('GET', '/Users?count=1')).body).toMatchObject({
      totalResults: 0,
      Resources: [],
    });
    const created = await google.request<Json>('POST', '/Users', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      userName: 'gillian@example.org',
      name: { givenName: 'Gillian', familyName: 'A' },
      emails: [{ value: 'gillian@example.org', primary: true }],
    });
    const id = created.body.id as string;
    expect(
      (await google.request<List>('GET', `/Users?filter=${q('userName eq "gillian@example.org"')}`)).body.totalResults,
    ).toBe(1);
    const put = await google.request<Json>('PUT', `/Users/${id}`, { ...created.body, active: false });
    expect(put.body.active).toBe(false);
    const patched = await google.request<Json>('PATCH', `/Users/${id}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'replace', path: 'active', value: true }],
    });
    expect(patched.body.active).toBe(true);
  });
});

/**
 * A PATCH that only sets `active` (Entra's `Replace active "False"`, a boolean, or a path-less
 * `{active: false}`) leaves the same user, response and audit event as the same change made
 * through the general PATCH pipeline; anything more or anything else still takes that pipeline.
 */
import { newConnection, type ScimClient } from '../support/scim-client.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

type Json = Record<string, unknown>;
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

function person(n: string): Json {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE],
    externalId: `ext-${n}`,
    userName: `${n}@fbi.example`,
    active: true,
    displayName: 'Dana Scully',
    name: { formatted: 'Dana Scully', familyName: 'Scully', givenName: 'Dana' },
    emails: [
      { primary: true, type: 'work', value: `${n}@fbi.example` },
      { type: 'home', value: `${n}@home.example` },
    ],
    phoneNumbers: [{ type: 'work', value: '+1 202 555 0100' }],
    title: 'Special Agent',
    [ENTERPRISE]: { department: 'X-Files', employeeNumber: '2317', manager: { value: 'skinner' } },
  };
}

/** What two users made alike share: their resource without its own names, ids and times. */
function comparable(resource: Json): Json {
  const { id: _id, userName: _u, externalId: _e, emails: _m, meta, ...rest } = resource;
  const { created: _c, lastModified: _l, location: _loc, ...kept } = meta as Json;
  return { ...rest, meta: kept };
}

describe('PATCH of active alone', () => {
  let server: TestServer;
  let entra: ScimClient;
  let n = 0;

  beforeAll(async () => {
    server = await startTestServer();
    entra = await newConnection(server.running.services, server.url, 'entra');
  });

  afterAll(async () => {
    await server.close();
  });

  async function created(): Promise<string> {
    const res = await entra.request<Json>('POST', '/Users', person(`agent${++n}`));
    expect(res.status).toBe(201);
    return res.body.id as string;
  }

  async function auditOf(userId: string): Promise<Json | undefined> {
    const events = await server.running.store.repos.audit.list(entra.orgId, { targetId: userId, limit: 10 });
    const [latest] = events;
    return latest && { action: latest.action, data: latest.data };
  }

  const patch = (id: string, Operations: Json[]) =>
    entra.request<Json>('PATCH', `/Users/${id}`, { schemas: [PATCH_OP], Operations });

  it.each([
    ['Replace active "False" (Entra)', [{ op: 'Replace', path: 'active', value: 'False' }], false],
    ['replace active false', [{ op: 'replace', path: 'active', value: false }], false],
    ['add active false', [{ op: 'add', path: 'Active', value: false }], false],
    ['path-less {active: false}', [{ op: 'replace', value: { active: false } }], false],
    ['path-less {Active: "False"}', [{ op: 'Replace', value: { Active: 'False' } }], false],
  ])('%s leaves what the general pipeline leaves', async (_label, operations, active) => {
    const quick = await created();
    const general = await created();
    // The same change with a no-op second operation: the general pipeline.
    const a = await patch(quick, operations);
    const b = await patch(general, [
      { op: 'replace', path: 'active', value: active },
      { op: 'replace', path: 'title', value: 'Special Agent' },
    ]);
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    expect(a.body.active).toBe(active);
    expect(a.headers.get('etag')).toBe(b.headers.get('etag'));
    expect(comparable(a.body)).toEqual(comparable(b.body));
    expect(comparable((await entra.request<Json>('GET', `/Users/${quick}`)).body)).toEqual(
      comparable((await entra.request<Json>('GET', `/Users/${general}`)).body),
    );
    const audited = await auditOf(quick);
    expect(audited).toEqual(await auditOf(general));
    expect(audited).toMatchObject({
      action: 'user.deactivated',
      data: { before: { active: true }, after: { active: false } },
    });
  });

  it('reactivates with Replace active "True" as the general pipeline does', async () => {
    const quick = await created();
    const general = await created();
    await patch(quick, [{ op: 'replace', path: 'active', value: false }]);
    await patch(general, [{ op: 'replace', path: 'active', value: false }]);
    const a = await patch(quick, [{ op: 'Replace', path: 'active', value: 'True' }]);
    const b = await patch(general, [
      { op: 'replace', path: 'active', value: true },
      { op: 'replace', path: 'title', value: 'Special Agent' },
    ]);
    expect(a.body.active).toBe(true);
    expect(comparable(a.body)).toEqual(comparable(b.body));
    expect(await auditOf(quick)).toEqual(await auditOf(general));
  });

  it('still refuses an active that is no boolean, and applies every attribute of a wider PATCH', async () => {
    const id = await created();
    const bad = await patch(id, [{ op: 'replace', path: 'active', value: 'maybe' }]);
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ status: '400' });
    expect((await entra.request<Json>('GET', `/Users/${id}`)).body.active).toBe(true);
    const wider = await patch(id, [{ op: 'replace', value: { active: false, title: 'Assistant Director' } }]);
    expect(wider.status).toBe(200);
    expect(wider.body).toMatchObject({ active: false, title: 'Assistant Director' });
  });
});

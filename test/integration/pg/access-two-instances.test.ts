/**
 * Two instances on one PostgreSQL database: each caches the org's teams, mappings and
 * policy, yet a change made through one is used by the very next decision on the other.
 */
import { CLI_ACTOR } from '../../../src/domain/actor.js';
import type { RunningServer } from '../../../src/server.js';
import { newConnection } from '../../support/scim-client.js';
import { startInstanceOn, startTestServer, type TestServer } from '../../support/test-server.js';

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

describe('two instances on one database', () => {
  let a: TestServer;
  let b: RunningServer;

  beforeAll(async () => {
    a = await startTestServer();
    b = await startInstanceOn(a.database.url);
  });

  afterAll(async () => {
    await b.close();
    await a.close();
  });

  it('sees a team edit, a mapping, a SCIM member removal and a deactivation made through A at once on B', async () => {
    const viaA = a.running.services;
    const okta = await newConnection(viaA, a.url, 'okta');
    const token = (await viaA.adminTokens.issue(okta.orgId, CLI_ACTOR, { role: 'User' })).token;
    const checkOnB = async (scope: string): Promise<boolean> => {
      const res = await fetch(`${b.url}/v1/access/check`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ user: 'dana@example.com', scope }),
      });
      expect(res.status).toBe(200);
      return ((await res.json()) as { allowed: boolean }).allowed;
    };

    const dana = (await okta.request('POST', '/Users', { userName: 'dana@example.com' })).body.id as string;
    const group = (await okta.request('POST', '/Groups', { displayName: 'CI', members: [{ value: dana }] })).body
      .id as string;
    await viaA.teams.create(okta.orgId, { name: 'ci', scopes: ['ci:read'] }, CLI_ACTOR);
    expect(await checkOnB('ci:read')).toBe(false); // B caches the org's configuration from here on

    await viaA.mappings.create(okta.orgId, { connectionId: okta.connectionId, group, teams: ['ci'] }, CLI_ACTOR);
    expect(await checkOnB('ci:read')).toBe(true);
    expect(await checkOnB('ci:read-update')).toBe(false);

    await viaA.teams.update(okta.orgId, 'ci', { scopes: ['ci:read-update'] }, CLI_ACTOR);
    expect(await checkOnB('ci:read-update')).toBe(true);

    await viaA.policies.update(okta.orgId, { deniedScopes: ['ci:read-update'] }, CLI_ACTOR);
    expect(await checkOnB('ci:read-update')).toBe(false);
    await viaA.policies.update(okta.orgId, { deniedScopes: [] }, CLI_ACTOR);
    expect(await checkOnB('ci:read-update')).toBe(true);

    const removed = await okta.request('PATCH', `/Groups/${group}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'remove', path: 'members', value: [{ value: dana }] }],
    });
    expect(removed.status).toBe(204);
    expect(await checkOnB('ci:read')).toBe(false);

    await okta.request('PATCH', `/Groups/${group}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'add', path: 'members', value: [{ value: dana }] }],
    });
    expect(await checkOnB('ci:read')).toBe(true);
    await okta.request('PATCH', `/Users/${dana}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'replace', path: 'active', value: false }],
    });
    expect(await checkOnB('ci:read')).toBe(false);
  });

  it('answers from memory until a change is announced, and never from memory while the feed is down', async () => {
    const viaA = a.running.services;
    const okta = await newConnection(viaA, a.url, 'okta');
    const scully = (await okta.request('POST', '/Users', { userName: 'scully@example.com' })).body.id as string;
    const group = (await okta.request('POST', '/Groups', { displayName: 'Ops', members: [{ value: scully }] })).body
      .id as string;
    await viaA.mappings.create(okta.orgId, { connectionId: okta.connectionId, group }, CLI_ACTOR);
    const decideOnB = async () => (await b.services.access.check(okta.orgId, scully, { scope: 'ci:read' })).allowed;
    // A decision that overlapped the mapping's announcement is not kept: ask until B holds it.
    for (let i = 0; i < 50 && !b.services.access.isCached(okta.orgId, scully); i++)
      expect(await decideOnB()).toBe(true);
    expect(b.services.access.isCached(okta.orgId, scully)).toBe(true);

    // A write that bypasses the services announces nothing: B keeps answering from its cache...
    await a.running.store.db('directory_users').where({ id: scully }).update({ active: false });
    expect(await decideOnB()).toBe(true);
    // ...until the change is announced, as every service write does at commit.
    await a.running.store.repos.accessChanges.announce(okta.orgId, [scully]);
    expect(await decideOnB()).toBe(false);

    // With B's listening connection cut, B reads the database for every decision.
    await a.running.store.db.raw(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'identity-bridge access feed'",
    );
    await a.running.store.db('directory_users').where({ id: scully }).update({ active: true });
    for (let i = 0; i < 50 && (await decideOnB()) !== true; i++) await new Promise((r) => setTimeout(r, 20));
    expect(await decideOnB()).toBe(true);
    // And once it listens again, announced changes still reach it.
    for (let i = 0; i < 100; i++) {
      const live = await a.running.store.db.raw<{ rows: unknown[] }>(
        "SELECT 1 FROM pg_stat_activity WHERE application_name = 'identity-bridge access feed'",
      );
      if (live.rows.length === 2) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await okta.request('PATCH', `/Users/${scully}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'replace', path: 'active', value: false }],
    });
    expect(await decideOnB()).toBe(false);
  });

  it('never answers for a userName with the access of whoever held it before: rename, delete and reuse', async () => {
    const viaA = a.running.services;
    const okta = await newConnection(viaA, a.url, 'okta');
    const token = (await viaA.adminTokens.issue(okta.orgId, CLI_ACTOR, { role: 'User' })).token;
    const askB = async (user: string): Promise<{ status: number; allowed?: boolean; userId?: string }> => {
      const res = await fetch(`${b.url}/v1/access/check`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ user, scope: 'ci:read' }),
      });
      const body = (await res.json()) as { allowed?: boolean; userId?: string };
      return { status: res.status, ...body };
    };
    /** Asks on B until B holds the user's facts (a read that overlapped an announcement is not kept). */
    const cachedOnB = async (user: string): Promise<{ status: number; allowed?: boolean; userId?: string }> => {
      let answer = await askB(user);
      for (let i = 0; i < 50 && !b.services.access.isCached(okta.orgId, user); i++) answer = await askB(user);
      expect(b.services.access.isCached(okta.orgId, user)).toBe(true);
      return answer;
    };

    await viaA.teams.create(okta.orgId, { name: 'ci', scopes: ['ci:read'] }, CLI_ACTOR);
    const dana = (await okta.request('POST', '/Users', { userName: 'dana@example.com' })).body.id as string;
    const group = (await okta.request('POST', '/Groups', { displayName: 'CI', members: [{ value: dana }] })).body
      .id as string;
    await viaA.mappings.create(okta.orgId, { connectionId: okta.connectionId, group, teams: ['ci'] }, CLI_ACTOR);
    expect(await cachedOnB('dana@example.com')).toMatchObject({ allowed: true, userId: dana });

    // Renamed: the new name answers for her, the old one for nobody.
    await okta.request('PATCH', `/Users/${dana}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'replace', path: 'userName', value: 'dana.smith@example.com' }],
    });
    expect(await cachedOnB('dana.smith@example.com')).toMatchObject({ allowed: true, userId: dana });
    expect(await askB('dana@example.com')).toMatchObject({ status: 404 });
    expect(await askB('DANA@example.com')).toMatchObject({ status: 404 });

    // Someone new takes the old name: they get their own (no) access, never hers.
    const newcomer = (await okta.request('POST', '/Users', { userName: 'dana@example.com' })).body.id as string;
    expect(await cachedOnB('dana@example.com')).toMatchObject({ allowed: false, userId: newcomer });
    expect(await askB('dana.smith@example.com')).toMatchObject({ allowed: true, userId: dana });

    // Deleted: the name answers for nobody; taken again by the renamed user, it answers for her.
    await okta.request('DELETE', `/Users/${newcomer}`);
    expect(await askB('dana@example.com')).toMatchObject({ status: 404 });
    await okta.request('PATCH', `/Users/${dana}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'replace', path: 'userName', value: 'dana@example.com' }],
    });
    expect(await cachedOnB('dana@example.com')).toMatchObject({ allowed: true, userId: dana });
    expect(await askB('dana.smith@example.com')).toMatchObject({ status: 404 });
    const explained = await fetch(`${b.url}/v1/access/users/dana.smith@example.com`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(explained.status).toBe(404);
  });
});

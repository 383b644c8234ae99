/**
 * `identity-bridge db copy`: an installation that started on SQLite (SCIM users and groups,
 * teams, mappings, policy, sessions, SCIM, admin and API tokens, signing keys and access
 * tokens, audit, webhooks) moves to PostgreSQL; the service on the copy answers the same
 * SCIM lists and decisions, and the same tokens and sessions still work. The source file is
 * not changed, a target holding data is refused without --force.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../../src/config/config.js';
import { CLI_ACTOR } from '../../../src/domain/actor.js';
import { startServer, type RunningServer } from '../../../src/server.js';
import { createLogger } from '../../../src/telemetry/logger.js';
import { cli } from '../../support/run-cli.js';
import { clientFor, type ScimClient } from '../../support/scim-client.js';
import { createTestDatabase, type TestDatabase } from '../../support/test-database.js';

type Json = Record<string, unknown>;
const SECRET = 'test-session-secret-that-is-long-enough-0123456789';

async function serve(databaseUrl: string): Promise<RunningServer> {
  const config = loadConfig({
    DATABASE_URL: databaseUrl,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    SESSION_SECRET: SECRET,
    MIGRATE_ON_START: 'true',
  });
  return startServer(config, createLogger(config.logLevel));
}

const fileHash = (file: string): string => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

describe('db copy from SQLite to PostgreSQL', () => {
  let dir: string;
  let sqliteFile: string;
  let target: TestDatabase;
  let scimToken: string;
  let apiToken: string;
  let adminToken: string;
  let sessionCookie: string;
  let accessToken: string;
  let orgId: string;
  let connectionId: string;

  /** What the service answers: SCIM lists, decisions, and whether each credential works. */
  async function answers(server: RunningServer): Promise<Json> {
    const scim = clientFor(server.url, scimToken, orgId, connectionId);
    const list = async (c: ScimClient, p: string): Promise<unknown> => (await c.request('GET', p)).body;
    const decide = async (body: Json): Promise<unknown> => {
      const res = await fetch(`${server.url}/v1/access/check`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiToken}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return [res.status, await res.json()];
    };
    const admin = await fetch(`${server.url}/admin/api/v1/teams`, {
      headers: { authorization: `Bearer ${adminToken}` },
    });
    const session = await fetch(`${server.url}/admin/api/v1/session`, {
      headers: { cookie: `ib_session=${sessionCookie}` },
    });
    const audit = await fetch(`${server.url}/admin/api/v1/audit?limit=500`, {
      headers: { authorization: `Bearer ${adminToken}` },
    });
    return {
      users: await list(scim, '/Users?count=100'),
      groups: await list(scim, '/Groups?count=100'),
      search: await list(scim, `/Users?filter=${encodeURIComponent('userName sw "dana"')}`),
      decisions: [
        await decide({ user: 'dana@acme.example', scope: 'devices:read-update', deviceGroup: 'test-lab-devices' }),
        await decide({ user: 'eli@acme.example', scope: 'ci:read' }),
        await decide({ user: 'fay@acme.example', scope: 'source:delete' }),
        await decide({ token: accessToken, scope: 'ci:read' }),
      ],
      teams: [admin.status, ((await admin.json()) as { items: Json[] }).items.map((t) => t.name)],
      session: [session.status, ((await session.json()) as { role?: string }).role],
      audit: ((await audit.json()) as { items: Json[] }).items.map((e) => [e.action, e.actorLabel, e.targetLabel]),
    };
  }

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ib-copy-'));
    sqliteFile = path.join(dir, 'identity-bridge.sqlite');
    target = await createTestDatabase({ migrated: false });
    const source = await serve(`sqlite:${sqliteFile}`);
    try {
      const s = source.services;
      const org = await s.organizations.create('Acme Factory', CLI_ACTOR);
      orgId = org.id;
      const okta = await s.connections.create(orgId, { kind: 'okta', name: 'Okta' }, CLI_ACTOR);
      connectionId = okta.id;
      scimToken = (await s.scimTokens.issue(orgId, okta.id, CLI_ACTOR)).token;
      const scim = clientFor(source.url, scimToken, orgId, okta.id);
      const ids: Record<string, string> = {};
      for (const name of ['dana', 'eli', 'fay', 'gus']) {
        const res = await scim.request<Json>('POST', '/Users', {
          schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
          userName: `${name}@acme.example`,
          name: { givenName: name, familyName: 'Acme' },
          emails: [{ value: `${name}@acme.example`, primary: true, type: 'work' }],
          active: name !== 'gus',
        });
        ids[name] = res.body.id as string;
      }
      const lab = await scim.request<Json>('POST', '/Groups', {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
        displayName: 'Lab Developers',
        members: [{ value: ids.dana }, { value: ids.eli }],
      });
      const everyone = await scim.request<Json>('POST', '/Groups', {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
        displayName: 'Everyone',
        members: Object.values(ids).map((value) => ({ value })),
      });
      await s.teams.create(
        orgId,
        { name: 'lab-dev-users', scopes: ['devices:read-update', 'ci:read'], deviceGroups: ['test-lab-devices'] },
        CLI_ACTOR,
      );
      await s.mappings.create(
        orgId,
        { connectionId: okta.id, group: lab.body.id as string, teams: ['lab-dev-users'], role: 'Admin' },
        CLI_ACTOR,
      );
      await s.mappings.create(orgId, { connectionId: okta.id, group: everyone.body.id as string }, CLI_ACTOR);
      await s.policies.update(orgId, { defaultUserScopes: ['ci:read'], deniedScopes: ['source:delete'] }, CLI_ACTOR);
      apiToken = (await s.adminTokens.issue(orgId, CLI_ACTOR, { role: 'User', description: 'ci-runner' })).token;
      adminToken = (await s.adminTokens.issue(orgId, CLI_ACTOR, { role: 'Owner' })).token;
      sessionCookie = (await s.sessions.start({ orgId, userId: ids.dana!, connectionId: okta.id, protocol: 'saml' }))
        .token;
      accessToken = (await s.accessTokens.issue(orgId, ids.eli!)).token;
      await s.webhooks.create(
        orgId,
        { url: 'https://hooks.acme.example/in', eventTypes: ['user.deactivated'] },
        CLI_ACTOR,
      );
    } finally {
      await source.close();
    }
  }, 60_000);

  afterAll(async () => {
    await target?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('copies every table, verified, and the service on PostgreSQL answers as it did on SQLite', async () => {
    const source = await serve(`sqlite:${sqliteFile}`);
    let before: Json;
    try {
      before = await answers(source);
    } finally {
      await source.close();
    }
    expect(before.decisions).toEqual([
      [200, expect.objectContaining({ allowed: true })],
      [200, expect.objectContaining({ allowed: true })],
      [200, expect.objectContaining({ allowed: false })],
      [200, expect.objectContaining({ allowed: true })],
    ]);
    expect(before.session).toEqual([200, 'Admin']);
    const untouched = fileHash(sqliteFile);

    const copied = await cli({}, 'db', 'copy', '--from', `sqlite:${sqliteFile}`, '--to', target.url, '--json');
    expect([copied.code, copied.stderr]).toEqual([0, '']);
    const lines = copied.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Json);
    const done = lines[lines.length - 1]!;
    expect(done.event).toBe('done');
    const tables = done.tables as Array<{ table: string; rows: number; checksum: string }>;
    const rowsOf = (name: string): number | undefined => tables.find((t) => t.table === name)?.rows;
    expect(rowsOf('directory_users')).toBe(4);
    expect(rowsOf('group_memberships')).toBe(6);
    expect(rowsOf('signing_keys')).toBeGreaterThan(0);
    expect(rowsOf('sessions')).toBe(1);
    expect(rowsOf('audit_events')).toBeGreaterThan(10);
    expect(lines.some((l) => l.event === 'progress' && l.table === 'directory_users' && l.copied === 4)).toBe(true);
    // Parents before children.
    const order = tables.map((t) => t.table);
    expect(order.indexOf('organizations')).toBeLessThan(order.indexOf('connections'));
    expect(order.indexOf('directory_users')).toBeLessThan(order.indexOf('group_memberships'));
    expect(fileHash(sqliteFile)).toBe(untouched);

    const onPg = await serve(target.url);
    try {
      expect(await answers(onPg)).toEqual(before);
      // Sequences continue past the copied rows: new events and values are written.
      const scim = clientFor(onPg.url, scimToken, orgId, connectionId);
      const created = await scim.request('POST', '/Users', {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        userName: 'hal@acme.example',
        emails: [{ value: 'hal@acme.example', primary: true }],
      });
      expect(created.status).toBe(201);
    } finally {
      await onPg.close();
    }
  }, 120_000);

  it('refuses a target that holds data, and replaces it with --force', async () => {
    const refused = await cli({}, 'db', 'copy', '--from', `sqlite:${sqliteFile}`, '--to', target.url);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/already holds data .*--force/);
    const forced = await cli({}, 'db', 'copy', '--from', `sqlite:${sqliteFile}`, '--to', target.url, '--force');
    expect(forced.code).toBe(0);
    expect(forced.stdout).toMatch(/every table's rows and checksum match/);
    const wrong = await cli({}, 'db', 'copy', '--from', target.url, '--to', target.url);
    expect([wrong.code, wrong.stderr]).toEqual([2, 'error: --from must be a SQLite file: sqlite:PATH\n']);
  }, 120_000);
});

import { openDatabase, type Db } from '../../src/store/database.js';
import { hashToken } from '../../src/domain/secret-token.js';
import { cli } from '../support/run-cli.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

describe('CLI', () => {
  let database: TestDatabase;
  let env: Record<string, string>;
  let db: Db;

  beforeAll(async () => {
    database = await createTestDatabase();
    env = { DATABASE_URL: database.url };
    db = openDatabase(database.config);
  });

  afterAll(async () => {
    await db.destroy();
    await database.drop();
  });

  it('creates an org, a connection and a SCIM token with --json, storing only the token hash', async () => {
    const org = await cli(env, 'org', 'create', '--name', 'Acme Robotics', '--json');
    expect(org.code).toBe(0);
    const { id: orgId, slug } = org.json<{ id: string; slug: string }>();
    expect(slug).toBe('acme-robotics');
    expect(orgId).toMatch(/^[0-9a-f-]{36}$/);

    const connection = await cli(
      env,
      'connection',
      'create',
      '--org',
      slug,
      '--kind',
      'okta',
      '--name',
      'Okta',
      '--json',
    );
    expect(connection.code).toBe(0);
    const { id: connectionId } = connection.json<{ id: string }>();

    const issued = await cli(env, 'scim-token', 'issue', '--connection', connectionId, '--json');
    expect(issued.code).toBe(0);
    const { id: tokenId, token } = issued.json<{ id: string; token: string }>();
    expect(token).toMatch(/^ibscim_/);

    const rows = await db('scim_tokens').where({ id: tokenId });
    expect(rows).toHaveLength(1);
    const row = rows[0] as Record<string, unknown>;
    expect(row.token_hash).toBe(hashToken(token));
    expect(row.org_id).toBe(orgId);
    expect(row.connection_id).toBe(connectionId);
    const secretPart = token.split('_').slice(2).join('_');
    for (const value of Object.values(row)) expect(String(value)).not.toContain(secretPart);
    const audit = JSON.stringify(await db('audit_events').where({ org_id: orgId }));
    expect(audit).not.toContain(secretPart);
    expect(audit).toContain('scim_token.issued');
  });

  it('accepts an org id as well as a slug', async () => {
    const { id } = (await cli(env, 'org', 'create', '--name', 'By Id', '--json')).json<{ id: string }>();
    const created = await cli(env, 'connection', 'create', '--org', id, '--kind', 'entra', '--name', 'Entra', '--json');
    expect(created.code).toBe(0);
    const listed = await cli(env, 'connection', 'list', '--org', id, '--json');
    expect(listed.json<Array<{ kind: string }>>().map((c) => c.kind)).toEqual(['entra']);
  });

  it('gives a second org with the same name a distinct slug', async () => {
    const a = (await cli(env, 'org', 'create', '--name', 'Twin', '--json')).json<{ slug: string }>();
    const b = (await cli(env, 'org', 'create', '--name', 'Twin', '--json')).json<{ slug: string }>();
    expect(a.slug).toBe('twin');
    expect(b.slug).toBe('twin-2');
  });

  it('lists tokens without their secrets and revokes one', async () => {
    const { slug } = (await cli(env, 'org', 'create', '--name', 'Rotate', '--json')).json<{ slug: string }>();
    const { id: connectionId } = (
      await cli(env, 'connection', 'create', '--org', slug, '--kind', 'google', '--name', 'Google', '--json')
    ).json<{ id: string }>();
    const first = (await cli(env, 'scim-token', 'issue', '--connection', connectionId, '--json')).json<{
      id: string;
      token: string;
    }>();
    const second = (await cli(env, 'scim-token', 'issue', '--connection', connectionId, '--json')).json<{
      id: string;
    }>();

    const revoked = await cli(env, 'scim-token', 'revoke', first.id, '--json');
    expect(revoked.code).toBe(0);
    expect(revoked.json<{ revokedAt: string | null }>().revokedAt).not.toBeNull();

    const list = await cli(env, 'scim-token', 'list', '--connection', connectionId, '--json');
    expect(list.stdout).not.toContain(first.token);
    const tokens = list.json<Array<{ id: string; revokedAt: string | null; prefix: string }>>();
    expect(tokens.map((t) => [t.id, t.revokedAt !== null])).toEqual([
      [first.id, true],
      [second.id, false],
    ]);
  });

  it('issues an admin token stored only as a hash', async () => {
    const { slug, id: orgId } = (await cli(env, 'org', 'create', '--name', 'Admins', '--json')).json<{
      slug: string;
      id: string;
    }>();
    const issued = await cli(env, 'admin-token', 'issue', '--org', slug, '--json');
    expect(issued.code).toBe(0);
    const { token } = issued.json<{ token: string }>();
    expect(token).toMatch(/^ibadm_/);
    const row = (await db('admin_tokens').where({ org_id: orgId }).first()) as Record<string, unknown>;
    expect(row.token_hash).toBe(hashToken(token));
    expect(JSON.stringify(row)).not.toContain(token);
  });

  it('reports migration status', async () => {
    const status = await cli(env, 'migrate', 'status', '--json');
    expect(status.code).toBe(0);
    expect(status.json<{ pending: string[] }>().pending).toEqual([]);
  });

  it.each([
    [['connection', 'create', '--org', 'no-such-org', '--kind', 'okta', '--name', 'X'], /org "no-such-org" not found/],
    [
      ['connection', 'create', '--org', 'acme-robotics', '--kind', 'ldap', '--name', 'X'],
      /Allowed choices are okta, entra, google, generic/,
    ],
    [['connection', 'create', '--org', 'acme-robotics', '--kind', 'okta'], /required option '--name <name>'/],
    [['scim-token', 'issue', '--connection', 'nope'], /connection "nope" not found/],
    [['scim-token', 'revoke', 'nope'], /scim_token "nope" not found/],
    [['migrate', 'sideways'], /unknown migrate action/],
    [['frobnicate'], /unknown command 'frobnicate'/],
  ])('exits 2 with a one-line error for bad arguments: %j', async (argv, message) => {
    const result = await cli(env, ...argv);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stdout).toBe('');
  });

  it('exits 2 listing every bad configuration key', async () => {
    const result = await cli({ DATABASE_URL: 'mysql://x', PORT: 'nope' }, 'org', 'list');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('DATABASE_URL');
    expect(result.stderr).toContain('PORT');
  });
});

/** The sign-in CLI that deployment scripts drive: `connection saml`, `connection oidc`, `connection domain`. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SessionService } from '../../src/sso/sessions.js';
import { openStore } from '../../src/store/open-store.js';
import { aUser } from '../support/factories.js';
import { cli } from '../support/run-cli.js';
import { createKeyPair, idpMetadataXml } from '../support/saml-idp.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

describe('sign-in CLI', () => {
  let database: TestDatabase;
  let env: Record<string, string>;
  let connection: string;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ib-cli-sso-'));

  beforeAll(async () => {
    database = await createTestDatabase();
    env = { DATABASE_URL: database.url, PUBLIC_URL: 'https://id.example.com', SESSION_SECRET: 'x'.repeat(40) };
    await cli(env, 'org', 'create', '--name', 'Sign Corp');
    connection = (
      await cli(env, 'connection', 'create', '--org', 'sign-corp', '--kind', 'entra', '--name', 'Entra', '--json')
    ).json<{ id: string }>().id;
  });

  afterAll(async () => {
    fs.rmSync(dir, { recursive: true, force: true });
    await database.drop();
  });

  it('configures SAML from IdP metadata and prints what the IdP admin enters', async () => {
    const { cert } = createKeyPair('entra');
    const metadata = path.join(dir, 'idp.xml');
    fs.writeFileSync(metadata, idpMetadataXml(cert));
    const result = await cli(
      env,
      'connection',
      'saml',
      '--connection',
      connection,
      '--idp-metadata',
      metadata,
      '--json',
    );
    expect(result.code).toBe(0);
    expect(result.json()).toEqual({
      entityId: `https://id.example.com/sso/${connection}/saml/metadata`,
      acsUrl: `https://id.example.com/sso/${connection}/saml/acs`,
      metadataUrl: `https://id.example.com/sso/${connection}/saml/metadata`,
      loginUrl: `https://id.example.com/sso/${connection}/saml/login`,
    });
  });

  it('configures SAML from explicit values, and refuses an incomplete command with exit code 2', async () => {
    const { cert } = createKeyPair('okta');
    const certFile = path.join(dir, 'okta.pem');
    fs.writeFileSync(certFile, cert);
    const ok = await cli(
      env,
      'connection',
      'saml',
      '--connection',
      connection,
      '--idp-entity-id',
      'http://www.okta.com/exk1',
      '--idp-sso-url',
      'https://acme.okta.com/app/sso/saml',
      '--idp-cert',
      certFile,
      '--want-response-signed',
      'true',
      '--json',
    );
    expect(ok.code).toBe(0);
    const missing = await cli(env, 'connection', 'saml', '--connection', connection, '--idp-entity-id', 'x');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--idp-metadata FILE, or --idp-entity-id, --idp-sso-url and --idp-cert/);
  });

  it('configures OIDC, refusing an http issuer off loopback', async () => {
    const ok = await cli(
      env,
      'connection',
      'oidc',
      '--connection',
      connection,
      '--issuer',
      'https://login.example.com',
      '--client-id',
      'cid',
      '--client-secret',
      'secret',
      '--json',
    );
    expect(ok.code).toBe(0);
    expect(ok.json()).toEqual({
      redirectUri: `https://id.example.com/sso/${connection}/oidc/callback`,
      loginUrl: `https://id.example.com/sso/${connection}/oidc/login`,
    });
    const insecure = await cli(
      env,
      'connection',
      'oidc',
      '--connection',
      connection,
      '--issuer',
      'http://login.example.com',
      '--client-id',
      'cid',
      '--client-secret',
      'secret',
    );
    expect(insecure.code).toBe(2);
    expect(insecure.stderr).toMatch(/https/);
    expect(
      (await cli(env, 'connection', 'domain', '--connection', connection, '--add', 'Example.com', '--json')).json(),
    ).toEqual({
      domain: 'example.com',
    });
  });

  it("takes Google's admin-chosen groups attribute name", async () => {
    const { cert } = createKeyPair('google');
    const certFile = path.join(dir, 'google.pem');
    fs.writeFileSync(certFile, cert);
    const google = (
      await cli(env, 'connection', 'create', '--org', 'sign-corp', '--kind', 'google', '--name', 'Google', '--json')
    ).json<{ id: string }>().id;
    const result = await cli(
      env,
      'connection',
      'saml',
      '--connection',
      google,
      '--idp-entity-id',
      'https://accounts.google.com/o/saml2?idpid=X',
      '--idp-sso-url',
      'https://accounts.google.com/o/saml2/idp?idpid=X',
      '--idp-cert',
      certFile,
      '--groups-attribute',
      'Group Membership',
      '--jit',
    );
    expect(result.code).toBe(0);
    const store = await openStore(database.config, { migrate: false });
    try {
      const orgId = (await store.repos.connections.ownerOf(google))!;
      expect(await store.repos.connections.samlSettings(orgId, google)).toMatchObject({
        jit: true,
        wantResponseSigned: false,
        attributes: { email: 'email', groups: 'Group Membership' },
      });
    } finally {
      await store.db.destroy();
    }
  });

  it('ends every session of a user with session revoke', async () => {
    const store = await openStore(database.config, { migrate: false });
    try {
      const orgId = (await store.repos.connections.ownerOf(connection))!;
      const user = aUser(orgId, { connectionId: connection, userName: 'fox@example.com' });
      await store.repos.users.insert(user);
      const sessions = new SessionService(store);
      const { token } = await sessions.start({ orgId, userId: user.id, connectionId: connection, protocol: 'oidc' });
      expect(await sessions.authenticate(token)).toBeDefined();
      const revoked = await cli(env, 'session', 'revoke', '--org', 'sign-corp', 'fox@example.com', '--json');
      expect(revoked.json()).toMatchObject({ userId: user.id, ended: 1 });
      expect(await sessions.authenticate(token)).toBeUndefined();
      expect((await cli(env, 'session', 'revoke', '--org', 'sign-corp', 'nobody@example.com')).code).toBe(2);
    } finally {
      await store.db.destroy();
    }
  });
});

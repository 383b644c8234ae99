/** The sign-in CLI that deployment scripts drive: `connection saml`, `connection oidc`, `connection domain`. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cli } from '../support/run-cli.js';
import { createKeyPair } from '../support/saml-idp.js';
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
    const body = cert.replace(/-----(BEGIN|END) CERTIFICATE-----|\s/g, '');
    const metadata = path.join(dir, 'idp.xml');
    fs.writeFileSync(
      metadata,
      `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="https://sts.windows.net/tenant/">` +
        `<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">` +
        `<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${body}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>` +
        `<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://login.microsoftonline.com/tenant/saml2"/>` +
        `</md:IDPSSODescriptor></md:EntityDescriptor>`,
    );
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
});

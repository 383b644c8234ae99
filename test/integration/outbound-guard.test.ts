/**
 * URLs an admin types are fetched through one guard: no private, loopback, link-local or
 * metadata address unless the operator allows its network, checked after DNS and on every
 * redirect, bounded in size and time, and refusals never say what the far side answered.
 * Real sockets: a small HTTP server on loopback plays the internal host an attacker probes.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CLI_ACTOR } from '../../src/domain/actor.js';
import { GuardedFetch, OutboundError, parseAllowedNetworks } from '../../src/outbound/guarded-fetch.js';
import { adminClient, type AdminClient } from '../support/admin-client.js';
import { createKeyPair, idpMetadataXml } from '../support/saml-idp.js';
import { newConnection } from '../support/scim-client.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

type Json = Record<string, unknown>;

interface InternalHost {
  readonly url: string;
  readonly hits: string[];
  close(): Promise<void>;
}

/** A host inside the network: metadata on /metadata, a secret page, a redirect, a huge answer, a hang. */
async function internalHost(redirectTo?: string): Promise<InternalHost> {
  const hits: string[] = [];
  const metadata = idpMetadataXml(createKeyPair('internal').cert);
  const server = http.createServer((req, res) => {
    hits.push(req.url ?? '');
    if (req.url === '/metadata') res.end(metadata);
    else if (req.url === '/redirect' && redirectTo) res.writeHead(302, { location: redirectTo }).end();
    else if (req.url === '/huge') res.end('x'.repeat(3 * 1024 * 1024));
    else if (req.url === '/hang') setTimeout(() => res.end('late'), 5_000).unref();
    else res.writeHead(404).end('secret internal admin page: db-primary.internal');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function refusal(fetcher: GuardedFetch, url: string, limits = {}): Promise<OutboundError> {
  try {
    await fetcher.get(url, limits);
  } catch (error) {
    if (error instanceof OutboundError) return error;
    throw error;
  }
  throw new Error(`fetched ${url}`);
}

describe('the guard on admin-supplied URLs', () => {
  let host: InternalHost;

  beforeAll(async () => {
    host = await internalHost('http://169.254.169.254/latest/meta-data/');
  });

  afterAll(async () => {
    await host.close();
  });

  it('refuses private, loopback, link-local and metadata addresses, by name or literally, without connecting', async () => {
    const guard = new GuardedFetch();
    for (const url of [
      `${host.url}/metadata`,
      host.url.replace('127.0.0.1', 'localhost'),
      'http://169.254.169.254/latest/meta-data/',
      'https://10.1.2.3/',
      'https://192.168.0.10/',
      'https://172.20.0.1/',
      'https://100.64.0.1/',
      'https://[::1]/',
      'https://[fd00:ec2::254]/',
      'https://[::ffff:10.0.0.1]/',
      'https://0.0.0.0/',
    ]) {
      const error = await refusal(guard, url);
      expect(error.problem).toBe('blocked');
      expect(error.message).toContain('OUTBOUND_ALLOWED_NETWORKS');
    }
    expect(host.hits).toEqual([]);
    await guard.close();
  });

  it('fetches from a network the operator allows, re-checks every redirect, and bounds size and time', async () => {
    const guard = new GuardedFetch(parseAllowedNetworks(['127.0.0.1/32']) as never);
    const ok = await guard.get(`${host.url}/metadata`);
    expect(ok.status).toBe(200);
    expect(ok.body.toString()).toContain('EntityDescriptor');
    expect((await refusal(guard, `${host.url}/redirect`)).problem).toBe('blocked');
    expect((await refusal(guard, `${host.url}/huge`)).problem).toBe('too_large');
    expect((await refusal(guard, `${host.url}/hang`, { timeoutMs: 200 })).problem).toBe('timeout');
    // 127.0.0.2 is loopback too, but not in the allowed network.
    expect((await refusal(guard, host.url.replace('127.0.0.1', '127.0.0.2'))).problem).toBe('blocked');
    await guard.close();
  });

  it('refuses bad operator settings by name', () => {
    expect(parseAllowedNetworks(['10.0.0.0/8', '::1', '192.168.1.7'])).not.toEqual(expect.any(String));
    expect(parseAllowedNetworks(['intranet'])).toMatch(/not an IP address/);
    expect(parseAllowedNetworks(['10.0.0.0/33'])).toMatch(/invalid prefix/);
  });
});

describe('admin-supplied URLs through the service', () => {
  let server: TestServer;
  let host: InternalHost;
  let admin: AdminClient;
  let connectionId: string;

  beforeAll(async () => {
    server = await startTestServer();
    host = await internalHost();
    const s = server.running.services;
    const okta = await newConnection(s, server.url, 'okta');
    connectionId = okta.connectionId;
    admin = adminClient(server.url, {
      token: (await s.adminTokens.issue(okta.orgId, CLI_ACTOR, { role: 'Owner' })).token,
    });
  });

  afterAll(async () => {
    await host.close();
    await server.close();
  });

  it('refuses a SAML metadata URL on an internal host, saying what to fix and nothing of what it answered', async () => {
    for (const path of ['/metadata', '/page']) {
      const res = await admin.request<Json>('PUT', `/connections/${connectionId}/saml`, {
        metadataUrl: `${host.url}${path}`,
      });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: 'sso.metadata_unreachable' });
      expect(String(res.body.detail)).toContain('does not fetch');
      expect(String(res.body.detail)).not.toMatch(/secret internal|db-primary|Not Found|status 404/);
    }
    expect(host.hits).toEqual([]);
    const metadataService = await admin.request<Json>('PUT', `/connections/${connectionId}/saml`, {
      metadataUrl: 'http://169.254.169.254/latest/meta-data/',
    });
    expect(metadataService.status).toBe(400);
  });

  it('tells a missing page from metadata without repeating what an allowed host answered', async () => {
    const allowing = await startTestServer({ OUTBOUND_ALLOWED_NETWORKS: '127.0.0.1' });
    try {
      const s = allowing.running.services;
      const okta = await newConnection(s, allowing.url, 'okta');
      const owner = adminClient(allowing.url, {
        token: (await s.adminTokens.issue(okta.orgId, CLI_ACTOR, { role: 'Owner' })).token,
      });
      const missing = await owner.request<Json>('PUT', `/connections/${okta.connectionId}/saml`, {
        metadataUrl: `${host.url}/page`,
      });
      expect(missing.status).toBe(400);
      expect(String(missing.body.detail)).toMatch(/did not answer with SAML metadata/);
      expect(String(missing.body.detail)).not.toMatch(/secret internal|db-primary|Not Found|status 404/);
      const ok = await owner.request<Json>('PUT', `/connections/${okta.connectionId}/saml`, {
        metadataUrl: `${host.url}/metadata`,
      });
      expect(ok.status).toBe(200);
    } finally {
      await allowing.close();
    }
  });

  it('refuses an OpenID issuer on an internal host at sign-in, without fetching its discovery document', async () => {
    const hitsBefore = [...host.hits];
    const res = await admin.request<Json>('PUT', `/connections/${connectionId}/oidc`, {
      issuer: host.url,
      clientId: 'c',
      clientSecret: 's',
    });
    expect(res.status).toBe(200);
    const login = await fetch(`${server.url}/sso/${connectionId}/oidc/login`, { redirect: 'manual' });
    expect(login.status).not.toBe(302);
    expect(await login.text()).not.toMatch(/secret internal|db-primary|Not Found|status 404/);
    expect(host.hits).toEqual(hitsBefore);
  });
});

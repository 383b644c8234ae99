/**
 * The admin API's OpenAPI document: valid OpenAPI 3.1 (checked by an OpenAPI validator),
 * and it lists every admin route, each of which answers (while unlisted paths are 404s).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { CLI_ACTOR } from '../../src/domain/actor.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

type Json = Record<string, unknown>;
const run = promisify(execFile);

describe('admin API OpenAPI document', () => {
  let server: TestServer;
  let document: Json;
  let token: string;

  beforeAll(async () => {
    server = await startTestServer();
    const res = await fetch(`${server.url}/admin/api/openapi.json`);
    expect(res.status).toBe(200);
    document = (await res.json()) as Json;
    const s = server.running.services;
    const org = await s.organizations.create('OpenAPI Corp', CLI_ACTOR);
    token = (await s.adminTokens.issue(org.id, CLI_ACTOR, { role: 'Owner' })).token;
  });

  afterAll(async () => {
    await server?.close();
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ib-openapi-')), 'openapi.json');
    fs.writeFileSync(file, JSON.stringify(document));
    const { stdout } = await run(process.execPath, [path.join(__dirname, '../support/validate-openapi.mjs'), file]);
    const result = JSON.parse(stdout) as { valid: boolean; version: string; errors: unknown };
    expect(result).toMatchObject({ valid: true, version: '3.1' });
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  });

  it('lists every admin route, and each listed route is served', async () => {
    const paths = document.paths as Record<string, Record<string, Json>>;
    const operations = Object.entries(paths).flatMap(([p, methods]) =>
      Object.entries(methods).map(([method, op]) => ({ method, path: p, op })),
    );
    expect(operations.length).toBeGreaterThanOrEqual(35);
    for (const resource of [
      '/connections',
      '/users',
      '/groups',
      '/teams',
      '/mappings',
      '/mappings/preview',
      '/policy',
    ]) {
      expect(Object.keys(paths)).toContain(resource);
    }
    expect(Object.keys(paths)).toEqual(expect.arrayContaining(['/access/check', '/audit', '/audit/export']));
    const call = async (method: string, p: string): Promise<Json> => {
      const res = await fetch(`${server.url}/admin/api/v1${p}`, {
        method: method.toUpperCase(),
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        ...(method === 'get' || method === 'delete' ? {} : { body: '{}' }),
      });
      const text = await res.text();
      return res.headers.get('content-type')?.includes('json') && text ? (JSON.parse(text) as Json) : {};
    };
    expect((await call('get', '/not-an-admin-route')).code).toBe('route.not_found');
    for (const { method, path: p, op } of operations) {
      const body = await call(method, p.replace(/\{[^}]+\}/g, 'x'));
      // A served route answers (maybe 400 or "no such team"), never "no such route".
      expect([method, p, body.code === 'route.not_found']).toEqual([method, p, false]);
      expect(op.operationId).toEqual(expect.any(String));
      expect(op.responses).toHaveProperty('400');
    }
  });

  it('describes request bodies with the schemas that validate them', () => {
    const paths = document.paths as Record<string, Record<string, Json>>;
    const create = paths['/teams']!.post!.requestBody as Json;
    const schema = (create.content as Record<string, { schema: Json }>)['application/json']!.schema;
    expect(schema.required).toEqual(['name']);
    expect((schema.properties as Json).scopes).toMatchObject({ type: 'array', maxItems: 500 });
  });
});

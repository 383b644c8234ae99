/**
 * The built service as `npm start` runs it (node dist/src/main.js): first start on a
 * database that does not exist yet, /healthz, and a SIGTERM that lets an in-flight
 * request finish before the process exits 0.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { dropDatabase, testDatabaseName, urlFor, withAdminClient } from '../support/pg-admin.js';
import { testDialect } from '../support/test-database.js';

const ROOT = path.resolve(__dirname, '../..');
const MAIN = path.join(ROOT, 'dist/src/main.js');

interface Started {
  child: ChildProcessWithoutNullStreams;
  url: string;
  stdout: () => string;
  exited: Promise<number | null>;
}

function start(env: Record<string, string>): Promise<Started> {
  if (!fs.existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first (npm test does)`);
  const child = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
  });
  let out = '';
  let err = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`service did not start:\n${out}\n${err}`)), 20_000);
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /"url":"(http:\/\/[^"]+)".*"msg":"identity-bridge listening"/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1]!, stdout: () => out, exited });
      }
    });
    void exited.then((code) => reject(new Error(`service exited with ${code}:\n${out}\n${err}`)));
  });
}

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('the service process', () => {
  let databaseUrl: string;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    if (testDialect() === 'pg') {
      const name = testDatabaseName(randomBytes(4).toString('hex'));
      databaseUrl = urlFor(name);
      cleanup = () => withAdminClient((c) => dropDatabase(c, name));
    } else {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ib-proc-'));
      databaseUrl = path.join(dir, 'not-yet', 'created.sqlite');
      cleanup = async () => fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  afterAll(async () => {
    await cleanup();
  });

  it('creates its database on first start, says what to do next, serves /healthz and drains on SIGTERM', async () => {
    const service = await start({ DATABASE_URL: databaseUrl });
    try {
      // The log line naming the next steps comes first; the banner with the link follows it.
      await waitFor(() => service.stdout().includes('Then paste'));
      expect(service.stdout()).toContain('identity-bridge org create');
      expect(service.stdout()).toMatch(/Then paste http:\/\/localhost:\d+\/scim\/v2/);
      // The one-time console link it prints is live, and asks for the organization's name.
      const link = /(http:\/\/\S+\/admin\/setup#(\S+))/.exec(service.stdout());
      expect(link).not.toBeNull();
      const inspect = await fetch(`${service.url}/admin/api/v1/setup/inspect`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ secret: link![2] }),
      });
      expect(await inspect.json()).toEqual({ needsOrgName: true });
      const health = await fetch(`${service.url}/healthz`);
      expect(health.status).toBe(200);
      expect((await fetch(`${service.url}/readyz`)).status).toBe(200);

      // An in-flight request: headers and half of the body sent before SIGTERM, the rest after.
      const { port } = new URL(service.url);
      const socket = net.connect(Number(port), '127.0.0.1');
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      let response = '';
      socket.on('data', (d: Buffer) => (response += d.toString()));
      const body = JSON.stringify({ hello: 'world' });
      socket.write(
        `POST /in-flight HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 5)}`,
      );
      await new Promise((r) => setTimeout(r, 200));
      service.child.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 300));
      socket.end(body.slice(5));
      await new Promise<void>((resolve) => socket.on('close', () => resolve()));

      expect(response).toMatch(/^HTTP\/1\.1 404/);
      expect(response).toContain('"code":"route.not_found"');
      expect(await service.exited).toBe(0);
      expect(service.stdout()).toContain('"msg":"stopped"');
    } finally {
      service.child.kill('SIGKILL');
    }
  }, 40_000);

  it('lists every bad configuration key and exits non-zero', async () => {
    const child = spawn(process.execPath, [MAIN], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', PORT: 'x', LOG_LEVEL: 'chatty', DATABASE_URL: databaseUrl },
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(1);
    expect(err).toContain('LOG_LEVEL');
    expect(err).toContain('PORT');
  });
});

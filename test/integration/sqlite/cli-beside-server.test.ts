/**
 * The embedded database has one writer at a time: the CLI (another process) writing to the
 * file while the service takes SCIM traffic must make neither fail. Writers take the lock
 * at the start of a transaction and wait for it without stalling the service.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { newConnection, type ScimClient } from '../../support/scim-client.js';
import { startTestServer, type TestServer } from '../../support/test-server.js';

const run = promisify(execFile);
const CLI = path.resolve(__dirname, '../../../bin/identity-bridge.js');
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

describe('the CLI writing while the service runs on SQLite', () => {
  let server: TestServer;
  let scim: ScimClient;

  beforeAll(async () => {
    server = await startTestServer();
    scim = await newConnection(server.running.services, server.url, 'okta');
  });

  afterAll(async () => {
    await server.close();
  });

  // Nine CLI processes (each a Node start, about a second on a busy machine) beside SCIM load.
  it('fails no SCIM request and no CLI command', async () => {
    const statuses: number[] = [];
    let stop = false;
    const client = async (worker: number): Promise<void> => {
      for (let i = 0; !stop; i++) {
        const created = await scim.request<Record<string, unknown>>('POST', '/Users', {
          userName: `w${worker}-${i}@example.com`,
        });
        statuses.push(created.status);
        if (created.status !== 201) continue;
        const patched = await scim.request('PATCH', `/Users/${String(created.body.id)}`, {
          schemas: [PATCH_OP],
          Operations: [{ op: 'replace', path: 'active', value: false }],
        });
        statuses.push(patched.status);
      }
    };
    const env = { ...process.env, DATABASE_URL: server.database.url, LOG_LEVEL: 'silent' };
    const commands = async (): Promise<number[]> => {
      const codes: number[] = [];
      for (let i = 0; i < 9; i++) {
        const args =
          i % 3 === 0
            ? ['team', 'create', '--org', scim.orgId, '--name', `team-${i}`, '--scope', 'ci:read']
            : i % 3 === 1
              ? ['scim-token', 'issue', '--connection', scim.connectionId]
              : ['policy', 'set', '--org', scim.orgId, '--deny', i % 2 ? 'devices:delete' : 'none'];
        try {
          await run(process.execPath, [CLI, ...args], { env });
          codes.push(0);
        } catch (error) {
          codes.push((error as { code?: number }).code ?? -1);
          process.stderr.write(String((error as { stderr?: string }).stderr ?? error));
        }
      }
      return codes;
    };
    const load = [0, 1, 2, 3].map(client);
    const codes = await commands().finally(() => {
      stop = true;
    });
    await Promise.all(load);

    expect(codes).toEqual(new Array(9).fill(0));
    expect(statuses.length).toBeGreaterThan(20);
    expect(statuses.filter((s) => s !== 201 && s !== 200)).toEqual([]);
    const teams = await server.running.services.teams.list(scim.orgId);
    expect(teams.map((t) => t.name).sort()).toEqual(['team-0', 'team-3', 'team-6']);
  }, 120_000);
});

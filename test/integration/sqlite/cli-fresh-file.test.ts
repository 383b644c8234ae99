/** The CLI's first command on a SQLite file that does not exist yet migrates it, as `npm start` does. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cli } from '../../support/run-cli.js';

describe('the CLI on a new SQLite file', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ib-cli-fresh-'));

  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('creates and migrates the file before its first command', async () => {
    const env = { DATABASE_URL: path.join(dir, 'nested', 'new.sqlite') };
    const created = await cli(env, 'org', 'create', '--name', 'Fresh Co', '--json');
    expect(created.code).toBe(0);
    expect(created.json()).toMatchObject({ slug: 'fresh-co' });
    const listed = await cli(env, 'org', 'list', '--json');
    expect(listed.json<Array<{ slug: string }>>().map((o) => o.slug)).toEqual(['fresh-co']);
    const status = await cli(env, 'migrate', 'status', '--json');
    expect(status.json<{ pending: string[] }>().pending).toEqual([]);
  });
});

import fs from 'node:fs';
import path from 'node:path';
import { MIGRATIONS } from '../../src/store/migration-source.js';

describe('migration registry', () => {
  const files = fs
    .readdirSync(path.join(__dirname, '../../migrations'))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => f.replace(/\.ts$/, ''))
    .sort();

  it('registers every migration file, in file-name order', () => {
    expect(MIGRATIONS.map((m) => m.name)).toEqual(files);
  });

  it('names migrations with a 14-digit timestamp and kebab-case words', () => {
    for (const name of files) expect(name).toMatch(/^\d{14}-[a-z0-9]+(-[a-z0-9]+)*$/);
  });

  it('gives every migration an up and a down', () => {
    for (const m of MIGRATIONS) {
      expect(typeof m.module.up).toBe('function');
      expect(typeof m.module.down).toBe('function');
    }
  });
});

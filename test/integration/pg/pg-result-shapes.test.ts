/**
 * PostgreSQL results share their shape (store/pg-result-shapes.ts): each distinct set of
 * columns resolves its type parsers and empty row once. Rows still come back with each
 * column parsed by its own type, as independent objects, whichever statement ran before.
 */
import type { Knex } from 'knex';
import { hotRows } from '../../../src/store/direct-statement.js';
import { createTestStore } from '../../support/test-database.js';

describe('PostgreSQL result shapes', () => {
  let db: Knex;
  let close: () => Promise<void>;

  beforeAll(async () => {
    const t = await createTestStore();
    db = t.store.db;
    close = t.close;
  });

  afterAll(() => close());

  it('parses every column of a prepared statement by its type, on every execution', async () => {
    const sql = 'SELECT ?::int8 AS n, ?::timestamptz AS at, ?::json AS doc, NULL::text AS nothing, ?::bool AS flag';
    for (const n of [1, 2, 3]) {
      const [row] = await hotRows(db, sql, [n, `2026-12-0${n}T10:00:00Z`, JSON.stringify({ n }), n % 2 === 0]);
      expect(row).toEqual({
        n,
        at: new Date(`2026-12-0${n}T10:00:00Z`),
        doc: { n },
        nothing: null,
        flag: n % 2 === 0,
      });
    }
  });

  it('gives each row its own object: a row changed by its reader leaves the next results alone', async () => {
    const sql = 'SELECT g AS id, NULL::text AS label FROM generate_series(1, ?::int) g';
    const first = await hotRows(db, sql, [2]);
    first[0]!.label = 'changed';
    (first[1] as Record<string, unknown>).extra = true;
    const second = await hotRows(db, sql, [2]);
    expect(second).toEqual([
      { id: 1, label: null },
      { id: 2, label: null },
    ]);
  });

  it('parses a column by the type this statement gives it, after another statement gave the same name another type', async () => {
    expect(await hotRows(db, "SELECT '7'::text AS v, 1 AS w", [])).toEqual([{ v: '7', w: 1 }]);
    expect(await hotRows(db, 'SELECT 7::int4 AS v, 1 AS w', [])).toEqual([{ v: 7, w: 1 }]);
    expect(await hotRows(db, `SELECT '{"a":[1]}'::jsonb AS v, 1 AS w`, [])).toEqual([{ v: { a: [1] }, w: 1 }]);
    expect((await db.raw("SELECT '7'::text AS v, 1 AS w")).rows).toEqual([{ v: '7', w: 1 }]);
  });

  it('returns the columns of a statement in its own order and none of another statement', async () => {
    const [a] = await hotRows(db, 'SELECT 1 AS x, 2 AS y', []);
    const [b] = await hotRows(db, 'SELECT 2 AS y, 3 AS z', []);
    expect(Object.keys(a!)).toEqual(['x', 'y']);
    expect(Object.keys(b!)).toEqual(['y', 'z']);
    expect(await hotRows(db, 'SELECT 1 AS x WHERE false', [])).toEqual([]);
  });
});

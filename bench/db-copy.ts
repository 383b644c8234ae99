/**
 * `npm run bench:copy`: how long `identity-bridge db copy` takes to move an installation of
 * 100,000 users (each with an email), 1,000 groups and 500,000 memberships from SQLite to
 * PostgreSQL, verification included. The SQLite side is filled with plain inserts (a SCIM
 * sync of that size takes minutes and is measured by bench:scim).
 *
 * BENCH_USERS, BENCH_GROUPS, BENCH_MEMBERSHIPS; BENCH_DATABASE_URL (default
 * postgres://postgres@127.0.0.1:5432/ib_bench_copy, dropped and created).
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { CLI_ACTOR } from '../src/domain/actor.js';
import { copyDatabase, type CopyProgress } from '../src/store/database-copy.js';
import { openStore } from '../src/store/open-store.js';
import { benchServices, dropDatabase } from './service-process.js';

const USERS = Number(process.env.BENCH_USERS ?? 100_000);
const GROUPS = Number(process.env.BENCH_GROUPS ?? 1_000);
const MEMBERSHIPS = Number(process.env.BENCH_MEMBERSHIPS ?? 500_000);
const TARGET = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/ib_bench_copy';

async function fill(file: string): Promise<void> {
  const store = await openStore({ client: 'sqlite', filename: file }, { migrate: true });
  const services = benchServices(store);
  const org = await services.organizations.create('Bench Corp', CLI_ACTOR);
  const connection = await services.connections.create(org.id, { kind: 'okta', name: 'Okta' }, CLI_ACTOR);
  await services.scimTokens.issue(org.id, connection.id, CLI_ACTOR);
  await store.close();

  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  const at = new Date().toISOString();
  const user = db.prepare(
    `INSERT INTO directory_users (id, org_id, connection_id, external_id, user_name, user_name_lower, active,
       display_name, name_given_name, name_family_name, version, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, ?, 1, ?, ?)`,
  );
  const email = db.prepare(
    `INSERT INTO directory_user_values (org_id, user_id, attribute, position, type, value, value_lower, "primary")
     VALUES (?, ?, 'emails', 0, 'work', ?, ?, 1)`,
  );
  const group = db.prepare(
    `INSERT INTO directory_groups (id, org_id, connection_id, display_name, display_name_lower, version, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, 1, ?, ?)`,
  );
  const member = db.prepare(
    'INSERT INTO group_memberships (org_id, group_id, user_id, created_at) VALUES (?, ?, ?, ?)',
  );
  const userIds: string[] = [];
  const groupIds: string[] = [];
  db.transaction(() => {
    for (let i = 0; i < USERS; i++) {
      const id = randomUUID();
      const name = `user${i}@bench.example`;
      user.run(id, org.id, connection.id, `00u${i}`, name, name, `User ${i}`, `Given${i}`, `Family${i}`, at, at);
      email.run(org.id, id, name, name);
      userIds.push(id);
    }
    for (let g = 0; g < GROUPS; g++) {
      const id = randomUUID();
      group.run(id, org.id, connection.id, `Group ${g}`, `group ${g}`, at, at);
      groupIds.push(id);
    }
    const perGroup = Math.floor(MEMBERSHIPS / GROUPS);
    for (let g = 0; g < GROUPS; g++) {
      for (let k = 0; k < perGroup; k++) member.run(org.id, groupIds[g], userIds[(g * perGroup + k) % USERS], at);
    }
  })();
  db.close();
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ib-bench-copy-'));
  const file = path.join(dir, 'identity-bridge.sqlite');
  try {
    process.stdout.write(
      `identity-bridge db copy benchmark: ${USERS} users, ${GROUPS} groups, ${MEMBERSHIPS} memberships, SQLite -> PostgreSQL\n\n`,
    );
    const filling = performance.now();
    await fill(file);
    process.stdout.write(
      `SQLite filled in ${((performance.now() - filling) / 1000).toFixed(1)} s (${(fs.statSync(file).size / 1e6).toFixed(0)} MB)\n`,
    );
    await dropDatabase(TARGET);
    const tableTimes = new Map<string, number>();
    let current: string | undefined;
    let since = performance.now();
    const onProgress = (p: CopyProgress): void => {
      if (p.table !== current) {
        current = p.table;
        since = performance.now();
      }
      if (p.copied >= p.total) tableTimes.set(p.table, performance.now() - since);
    };
    const started = performance.now();
    const reports = await copyDatabase({ from: file, to: TARGET, onProgress });
    const seconds = (performance.now() - started) / 1000;
    for (const r of reports.filter((x) => x.rows >= 1000)) {
      process.stdout.write(
        `${r.table.padEnd(24)} ${String(r.rows).padStart(9)} rows  ${((tableTimes.get(r.table) ?? 0) / 1000).toFixed(1).padStart(6)} s to send (verified after)\n`,
      );
    }
    const rows = reports.reduce((n, r) => n + r.rows, 0);
    process.stdout.write(
      `\ncopy, migration and verification of ${rows} rows in ${reports.length} tables: ${seconds.toFixed(1)} s (${Math.round(rows / seconds)} rows/s; target at most 120 s)\n`,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    await dropDatabase(TARGET).catch(() => undefined);
  }
}

await main();

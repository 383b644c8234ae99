/**
 * The limit of `npm run bench:scim`: a bare server (node:http and pg's prepared statements,
 * or better-sqlite3's, and nothing else) answering each steady-state phase with the least
 * SQL it needs, on the same tables as the service. It checks no token, validates nothing
 * and writes no audit: what it reaches is what the database and the HTTP stack allow, and
 * the service's figures are quoted as a share of it.
 *
 *   POST   /users                      {userName}  one-row insert            → 201 {id}
 *   GET    /users?userName=X                       the indexed lookup        → 200 [row]
 *   GET    /users/U                                the primary-key read      → 200 row
 *   PUT    /groups/G/members/U                     one-row membership insert → 204
 *   DELETE /groups/G/members/U                     one-row membership delete → 204
 *   PUT    /users/U/inactive                       the one-row update        → 204
 *   GET    /groups/G[?members=no]                  the group (and members)   → 200
 *
 * On PostgreSQL, the writes also with the rows the design keeps beside them
 * (reference-design-rows.ts), each one statement:
 *
 *   PUT    /design/groups/G/members/U              add, version, audit, event    → 204
 *   DELETE /design/groups/G/members/U              remove, version, audit, event → 204
 *   PUT    /design/users/U/inactive                deactivation and its records  → 204
 *
 * Each placeholder of the one-row statements appears once (SQLite binds them in order).
 *
 * Run as its own process: REF_DATABASE (postgres://... or sqlite:PATH), REF_ORG, REF_CONNECTION,
 * PORT, REF_POOL (PostgreSQL connections, as the service's DATABASE_POOL_MAX).
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import Database from 'better-sqlite3';
import pg from 'pg';
import * as designRows from './reference-design-rows.js';

type Row = Record<string, unknown>;

/** One statement runner per dialect: `$n` placeholders on PostgreSQL, `?` on SQLite. */
interface Sql {
  rows(name: string, pgText: string, params: unknown[]): Promise<Row[]>;
  run(name: string, pgText: string, params: unknown[]): Promise<void>;
}

function postgres(url: string, poolMax: number): Sql {
  const pool = new pg.Pool({ connectionString: url, max: poolMax });
  return {
    async rows(name, text, values) {
      return (await pool.query<Row>({ name, text, values })).rows;
    },
    async run(name, text, values) {
      await pool.query({ name, text, values });
    },
  };
}

function sqlite(file: string): Sql {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  const statements = new Map<string, Database.Statement>();
  const prepared = (name: string, text: string): Database.Statement => {
    let statement = statements.get(name);
    if (!statement) {
      statement = db.prepare(text.replace(/\$\d+/g, '?'));
      statements.set(name, statement);
    }
    return statement;
  };
  return {
    rows: (name, text, params) => Promise.resolve(prepared(name, text).all(...params) as Row[]),
    run: (name, text, params) => {
      prepared(name, text).run(...params);
      return Promise.resolve();
    },
  };
}

const ORG = process.env.REF_ORG ?? '';
const CONNECTION = process.env.REF_CONNECTION ?? '';
const DATABASE = process.env.REF_DATABASE ?? '';
const sqliteFile = /^sqlite:(.*)$/.exec(DATABASE)?.[1];
const sql = sqliteFile ? sqlite(sqliteFile) : postgres(DATABASE, Number(process.env.REF_POOL ?? 10));
const now = (): string => new Date().toISOString();

function send(res: http.ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) {
    res.writeHead(status).end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
}

function readBody(req: http.IncomingMessage): Promise<Row> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Row) : {}));
    req.on('error', reject);
  });
}

/** The writes with the design's rows (PostgreSQL only): 204 when the statement changed something. */
async function designRoute(req: http.IncomingMessage, res: http.ServerResponse, parts: string[]): Promise<void> {
  let statement: designRows.DesignStatement | undefined;
  if (sqliteFile) return send(res, 404);
  if (parts[0] === 'users' && parts[2] === 'inactive' && req.method === 'PUT')
    statement = designRows.deactivation(ORG, CONNECTION, parts[1]!);
  if (parts[0] === 'groups' && parts[2] === 'members' && parts.length === 4 && req.method !== 'GET')
    statement = designRows.memberChange(req.method === 'PUT' ? 'add' : 'remove', ORG, CONNECTION, parts[1]!, parts[3]!);
  if (!statement) return send(res, 404);
  const rows = await sql.rows(statement.name, statement.text, statement.values);
  // A write that changed nothing (the member already there, the user already inactive) is the
  // benchmark's mistake: say so rather than count it.
  return rows.length === 1 && rows[0]!.changed !== 0 ? send(res, 204) : send(res, 409);
}

async function route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://reference');
  const parts = url.pathname.split('/').filter(Boolean);
  if (req.method === 'GET' && url.pathname === '/readyz') return send(res, 200, { ok: true });
  if (parts[0] === 'design') return designRoute(req, res, parts.slice(1));
  if (parts[0] === 'users' && parts.length === 1 && req.method === 'POST') {
    const body = await readBody(req);
    const userName = String(body.userName);
    const id = randomUUID();
    const at = now();
    await sql.run(
      'insert_user',
      `INSERT INTO directory_users (id, org_id, connection_id, user_name, user_name_lower, active, version, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, true, 1, $6, $7)`,
      [id, ORG, CONNECTION, userName, userName.toLowerCase(), at, at],
    );
    return send(res, 201, { id });
  }
  if (parts[0] === 'users' && parts.length === 1 && req.method === 'GET') {
    const userName = url.searchParams.get('userName') ?? '';
    const rows = await sql.rows(
      'find_user',
      'SELECT * FROM directory_users WHERE org_id = $1 AND user_name_lower = $2 AND connection_id = $3',
      [ORG, userName.toLowerCase(), CONNECTION],
    );
    return send(res, 200, rows);
  }
  if (parts[0] === 'users' && parts.length === 2 && req.method === 'GET') {
    const [user] = await sql.rows('get_user', 'SELECT * FROM directory_users WHERE org_id = $1 AND id = $2', [
      ORG,
      parts[1],
    ]);
    return user ? send(res, 200, user) : send(res, 404);
  }
  if (parts[0] === 'users' && parts[2] === 'inactive' && req.method === 'PUT') {
    await sql.run(
      'deactivate_user',
      'UPDATE directory_users SET active = false, version = version + 1, updated_at = $3 WHERE org_id = $1 AND id = $2',
      [ORG, parts[1], now()],
    );
    return send(res, 204);
  }
  if (parts[0] === 'groups' && parts[2] === 'members' && parts.length === 4) {
    if (req.method === 'PUT') {
      await sql.run(
        'add_member',
        `INSERT INTO group_memberships (org_id, group_id, user_id, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT DO NOTHING`,
        [ORG, parts[1], parts[3], now()],
      );
      return send(res, 204);
    }
    if (req.method === 'DELETE') {
      await sql.run('remove_member', 'DELETE FROM group_memberships WHERE group_id = $1 AND user_id = $2', [
        parts[1],
        parts[3],
      ]);
      return send(res, 204);
    }
  }
  if (parts[0] === 'groups' && parts.length === 2 && req.method === 'GET') {
    const [group] = await sql.rows('get_group', 'SELECT * FROM directory_groups WHERE org_id = $1 AND id = $2', [
      ORG,
      parts[1],
    ]);
    if (!group) return send(res, 404);
    if (url.searchParams.get('members') === 'no') return send(res, 200, group);
    const members = await sql.rows(
      'group_members',
      `SELECT u.id AS value, u.user_name AS display FROM group_memberships m
       JOIN directory_users u ON u.id = m.user_id WHERE m.group_id = $1`,
      [parts[1]],
    );
    return send(res, 200, { ...group, members });
  }
  send(res, 404);
}

const server = http.createServer((req, res) => {
  route(req, res).catch((error: unknown) => send(res, 500, { error: String(error) }));
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1');

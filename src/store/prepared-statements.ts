/**
 * Named (prepared) statements on PostgreSQL for the hot queries. Planning is most of the
 * cost of a SCIM lookup (1.3 ms unprepared against 0.46 ms prepared, measured), and Knex
 * always sends unnamed statements; it does pass a query's options through to `pg`, whose
 * `name` makes the statement prepared once per connection and reused after.
 *
 * A statement's name is derived from its SQL text (the same text always gets the same
 * name; values are bound). At most MAX_NAMED texts are named per process, so a client
 * that invents endless filter shapes cannot grow the server's prepared statements without
 * bound; past that, statements run unnamed. Disabled by DATABASE_PREPARED_STATEMENTS=false
 * (for connection poolers that do not support prepared statements) and on SQLite.
 */
import { createHash } from 'node:crypto';
import type { Knex } from 'knex';

const MAX_NAMED = 1000;
const names = new Map<string, string>();

interface Compiled {
  sql: string;
  options?: Readonly<Record<string, unknown>>;
}

interface Nameable {
  toSQL(): Compiled | Compiled[];
  options(options: Readonly<Record<string, unknown>>): unknown;
}

/** Whether a Knex instance (or a transaction of it) should name its hot statements. */
export function usesPreparedStatements(db: Knex): boolean {
  return (db.client.config as { preparedStatements?: boolean }).preparedStatements === true;
}

/** The statement name of a SQL text (the same text, the same name); undefined past MAX_NAMED texts. */
export function statementName(sql: string): string | undefined {
  let name = names.get(sql);
  if (name === undefined) {
    if (names.size >= MAX_NAMED) return undefined;
    name = `ib_${createHash('sha1').update(sql).digest('hex').slice(0, 24)}`;
    names.set(sql, name);
  }
  return name;
}

export function prepared<T extends Nameable>(db: Knex, query: T): T {
  if (!usesPreparedStatements(db)) return query;
  const compiled = query.toSQL();
  if (Array.isArray(compiled)) return query;
  const name = statementName(compiled.sql);
  if (name === undefined) return query;
  compiled.options = { ...compiled.options, name };
  // Knex compiles a builder again when it runs it; hand it this compilation instead (the
  // compile was a fifth of a SCIM lookup's CPU). The pg dialect passes `options` to pg.
  query.toSQL = () => compiled;
  return query;
}

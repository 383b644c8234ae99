// The parts of Knex's own SQLite client and transaction that sqlite-client.ts extends
// (Knex ships no types for its dialect modules).
declare module 'knex/lib/dialects/better-sqlite3/index.js' {
  import type { Knex } from 'knex';

  export interface QueryObject {
    sql: string;
    bindings?: unknown[];
  }

  class Client_BetterSQLite3 extends Knex.Client {
    _query(connection: unknown, obj: QueryObject): Promise<QueryObject>;
    acquireRawConnection(): Promise<unknown>;
  }
  export default Client_BetterSQLite3;
}

declare module 'knex/lib/dialects/sqlite3/execution/sqlite-transaction.js' {
  class Transaction_Sqlite {
    constructor(...args: unknown[]);
    query(conn: unknown, sql: string): Promise<unknown>;
  }
  export default Transaction_Sqlite;
}

/**
 * Directory users: the reads (directory-user-reads.ts) and the writes, each scoped to one
 * org. A user's multi-valued attributes are rows of directory_user_values, replaced with
 * the user. A taken userName (case-insensitive, per org) or externalId (per connection)
 * becomes a ConflictError on both dialects.
 */
import type { Knex } from 'knex';
import type { DirectoryUser } from '../../domain/directory.js';
import { dialectOf } from '../database.js';
import { prepared } from '../prepared-statements.js';
import { DirectoryUserReads } from './directory-user-reads.js';
import { asUserConflict, userColumns, valueRows } from './directory-user-rows.js';

/** Rows of directory_user_values per INSERT. */
const VALUES_PER_INSERT = 200;

export class DirectoryUserRepository extends DirectoryUserReads {
  /**
   * The INSERTs of a new user and its multi-valued attributes, for a caller that runs them
   * together with other writes in one statement (Store.insertUserWithAudit).
   */
  insertStatements(user: DirectoryUser): Knex.QueryBuilder[] {
    return [this.userInsert(user), ...this.valueInserts(user)];
  }

  async insert(user: DirectoryUser): Promise<void> {
    try {
      await prepared(this.db, this.userInsert(user));
    } catch (error) {
      throw asUserConflict(error, user);
    }
    await this.insertValues(user);
  }

  /** Replaces every attribute of an existing user; returns false when it does not exist in the org. */
  async replace(user: DirectoryUser): Promise<boolean> {
    let n: number;
    try {
      n = await prepared(
        this.db,
        this.db('directory_users').where({ org_id: user.orgId, id: user.id }).update(userColumns(user)),
      );
    } catch (error) {
      throw asUserConflict(error, user);
    }
    if (n === 0) return false;
    await this.db('directory_user_values').where({ org_id: user.orgId, user_id: user.id }).delete();
    await this.insertValues(user);
    return true;
  }

  /** Locks a user row for the rest of the transaction (PostgreSQL; SQLite has a single writer). */
  async lock(orgId: string, id: string): Promise<boolean> {
    const q = this.db('directory_users').where({ org_id: orgId, id }).first('id');
    if (dialectOf(this.db) === 'pg') q.forUpdate();
    return (await prepared(this.db, q)) !== undefined;
  }

  async delete(orgId: string, id: string): Promise<boolean> {
    return (await this.db('directory_users').where({ org_id: orgId, id }).delete()) > 0;
  }

  private userInsert(user: DirectoryUser): Knex.QueryBuilder {
    return this.db('directory_users').insert({
      id: user.id,
      org_id: user.orgId,
      created_at: user.createdAt,
      ...userColumns(user),
    });
  }

  private valueInserts(user: DirectoryUser): Knex.QueryBuilder[] {
    const rows = valueRows(user);
    const statements = [];
    for (let i = 0; i < rows.length; i += VALUES_PER_INSERT) {
      statements.push(this.db('directory_user_values').insert(rows.slice(i, i + VALUES_PER_INSERT)));
    }
    return statements;
  }

  private async insertValues(user: DirectoryUser): Promise<void> {
    // Plain inserts: knex's batchInsert opens a nested transaction (two more round trips per user).
    for (const statement of this.valueInserts(user)) await prepared(this.db, statement);
  }
}

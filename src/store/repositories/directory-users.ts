/**
 * Directory users: the reads (directory-user-reads.ts) and the writes, each scoped to one
 * org. A user's multi-valued attributes are rows of directory_user_values, replaced with
 * the user. A taken userName (case-insensitive, per org) or externalId (per connection)
 * becomes a ConflictError on both dialects.
 */
import type { Knex } from 'knex';
import type { DirectoryUser } from '../../domain/directory.js';
import { ConflictError } from '../../domain/errors/index.js';
import { dialectOf } from '../database.js';
import { isUniqueViolation } from '../rows.js';
import { prepared } from '../prepared-statements.js';
import { DirectoryUserReads } from './directory-user-reads.js';
import { asUserConflict, newUserRow, userColumns, valueRows, valuesDiffer } from './directory-user-rows.js';

/** Rows of directory_user_values per INSERT. */
const VALUES_PER_INSERT = 200;
/** Users per INSERT (about 30 bound values each). */
const USERS_PER_INSERT = 500;

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

  /**
   * Replaces every attribute of an existing user; returns false when it does not exist in
   * the org. Given the user as it was, its multi-valued attributes are rewritten only when
   * they changed (a deactivation leaves them as they are).
   */
  async replace(user: DirectoryUser, before?: DirectoryUser): Promise<boolean> {
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
    if (before && !valuesDiffer(before, user)) return true;
    await prepared(this.db, this.db('directory_user_values').where({ org_id: user.orgId, user_id: user.id }).delete());
    await this.insertValues(user);
    return true;
  }

  /**
   * Locks a user row for the rest of the transaction; false when there is no such user.
   * On SQLite the transaction already holds the database's only write lock (BEGIN
   * IMMEDIATE), so there is nothing to lock and nothing is read: true, and the read that
   * follows finds out whether the user exists.
   */
  async lock(orgId: string, id: string): Promise<boolean> {
    if (dialectOf(this.db) !== 'pg') return true;
    return (
      (await prepared(this.db, this.db('directory_users').where({ org_id: orgId, id }).first('id').forUpdate())) !==
      undefined
    );
  }

  /** Several new users and their values, in as few statements as the database allows. */
  async insertMany(users: readonly DirectoryUser[]): Promise<void> {
    for (let i = 0; i < users.length; i += USERS_PER_INSERT) {
      const part = users.slice(i, i + USERS_PER_INSERT);
      try {
        await this.db('directory_users').insert(
          part.map((user) => ({ id: user.id, org_id: user.orgId, created_at: user.createdAt, ...userColumns(user) })),
        );
      } catch (error) {
        // Which of the batch conflicts is for the caller to find out, one by one.
        throw part.length === 1 || !isUniqueViolation(error)
          ? asUserConflict(error, part[0]!)
          : new ConflictError('directory.batch_conflict', 'A user of the batch conflicts with an existing one');
      }
      const values = part.flatMap(valueRows);
      for (let j = 0; j < values.length; j += VALUES_PER_INSERT) {
        await this.db('directory_user_values').insert(values.slice(j, j + VALUES_PER_INSERT));
      }
    }
  }

  /** When a directory sync first found these users gone from the directory (null: back again). */
  async setSyncMissingSince(orgId: string, ids: readonly string[], since: string | null): Promise<void> {
    for (let i = 0; i < ids.length; i += VALUES_PER_INSERT) {
      await this.db('directory_users')
        .where({ org_id: orgId })
        .whereIn('id', ids.slice(i, i + VALUES_PER_INSERT))
        .update({ sync_missing_since: since });
    }
  }

  async delete(orgId: string, id: string): Promise<boolean> {
    return (await this.db('directory_users').where({ org_id: orgId, id }).delete()) > 0;
  }

  private userInsert(user: DirectoryUser): Knex.QueryBuilder {
    return this.db('directory_users').insert(newUserRow(user));
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

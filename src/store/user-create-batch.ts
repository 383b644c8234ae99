/**
 * New users written together on PostgreSQL: the users that an IdP creates while one is
 * being written go in the next statement, all at once (batch-turn.ts). During an initial
 * sync, and all day as people join, a create's own rows are the small part of what it
 * costs the database: the round trip, the statement's start and the commit with its WAL
 * flush are most of it, and creates in one statement share them.
 *
 * Each user is written exactly as alone (store.ts `insertUserStatement`): its row, its
 * multi-valued attributes, its audit event and its outbox event. If the statement fails
 * (a userName or externalId taken, by another request or within the batch), nothing of it
 * was written and each create runs again on its own, so only the one in conflict is refused.
 */
import type { Knex } from 'knex';
import type { DirectoryUser } from '../domain/directory.js';
import type { OutboxEvent } from '../events/event-catalog.js';
import { BatchTurn } from './batch-turn.js';
import { isLostInFlight } from './commit-outcome.js';
import { hotRowsNamed } from './direct-statement.js';
import {
  asJsonColumns,
  AUDIT_COLUMNS,
  auditJsonRow,
  EVENT_COLUMNS,
  insertFromJson,
  VALUE_COLUMNS,
} from './json-rows.js';
import { eventRow } from './repositories/events.js';
import type { AuditEvent } from './repositories/audit-events.js';
import { newUserRow, valueRows } from './repositories/directory-user-rows.js';

export interface UserCreate {
  readonly user: DirectoryUser;
  readonly audit: AuditEvent;
  readonly event: OutboxEvent | undefined;
}

/** Creates per statement at most. */
const MAX_CREATES = 32;

const texts = new Map<string, string>();

function statement(userColumns: readonly string[]): string {
  const key = userColumns.join(',');
  const known = texts.get(key);
  if (known) return known;
  const text = `WITH users AS (${insertFromJson('directory_users', userColumns, 'users')}),
    values_new AS (${insertFromJson('directory_user_values', VALUE_COLUMNS, 'values')}),
    audit AS (${insertFromJson('audit_events', AUDIT_COLUMNS, 'audit')})
    ${insertFromJson('events', EVENT_COLUMNS, 'events')}`;
  texts.set(key, text);
  return text;
}

/** Writes the new users, their attributes, audit and outbox events in one statement. */
export async function insertUsers(db: Knex, creates: readonly UserCreate[]): Promise<void> {
  const users = creates.map((c) => asJsonColumns(newUserRow(c.user)));
  const bindings = {
    users: JSON.stringify(users),
    values: JSON.stringify(creates.flatMap((c) => valueRows(c.user).map(asJsonColumns))),
    audit: JSON.stringify(creates.map((c) => auditJsonRow(c.audit))),
    events: JSON.stringify(creates.flatMap((c) => (c.event ? [eventRow(c.event)] : []))),
  };
  await hotRowsNamed(db, statement(Object.keys(users[0]!)), bindings);
}

/** New users written as they come, together when they come faster than one is written. */
export function userCreateTurn(db: Knex, alone: (create: UserCreate) => Promise<void>): BatchTurn<UserCreate, void> {
  return new BatchTurn({
    alone,
    together: async (creates) => {
      await insertUsers(db, creates);
      return creates.map(() => undefined);
    },
    fallback: alone,
    maxBatch: MAX_CREATES,
    mayHaveWritten: isLostInFlight,
  });
}

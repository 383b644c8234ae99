/**
 * One membership step (add or remove a few members) of a group no mapping names, as one
 * statement on PostgreSQL: lock the group, find the users, change the rows, bump the
 * group's version, write the audit event and the outbox event. What an IdP sends all day
 * (Okta adds one member per PATCH, Entra removes one) then costs one round trip and one
 * commit, where the same work as a transaction takes eight (BEGIN, lock, users, change,
 * version, mapping check, audit and event, COMMIT): on a loopback connection each round
 * trip costs about as much CPU as the statement it carries.
 *
 * A group that a mapping names is left untouched (the statement reports it) and its change
 * takes the transaction, which also brings teams, caches and access history in step.
 *
 * The audit data and the event are built here in SQL, in the shapes group-directory.ts and
 * events/outbox.ts give them in TypeScript (`group.members_changed`: added, removed,
 * addedUsers, removedUsers, unknownMembers; `group.members_added|removed`: group, users,
 * count, actor): test/integration/member-step-statement.test.ts holds the two to each other.
 */
import type { Knex } from 'knex';
import type { DirectoryGroup } from '../domain/directory.js';
import { MAPPING_MATCHES } from '../domain/team.js';
import type { AuditEvent } from './repositories/audit-events.js';
import { hotRowsNamed } from './direct-statement.js';
import { toGroup } from './repositories/directory-groups.js';
import { fromJson, toIso } from './rows.js';

export interface MemberStepRequest {
  readonly orgId: string;
  readonly connectionId: string;
  readonly groupId: string;
  readonly op: 'add' | 'remove';
  /** Distinct user ids. */
  readonly userIds: readonly string[];
  readonly at: string;
  /** The audit event to write if anything changed (its target label and data are filled in here). */
  readonly audit: AuditEvent;
  /** The outbox event's id and actor, when events are on. */
  readonly event: { readonly id: string; readonly actor: Readonly<Record<string, unknown>> } | undefined;
}

export interface MemberStepOutcome {
  /** A mapping names the group: nothing was written. */
  readonly mapped: boolean;
  /** The group after the step. */
  readonly group: DirectoryGroup;
  /** The users added or removed, with their userNames. */
  readonly changed: ReadonlyArray<{ id: string; userName: string }>;
  /** The requested ids that are not users of the connection. */
  readonly unknown: readonly string[];
}

const texts = new Map<string, string>();

function statement(op: 'add' | 'remove', withEvent: boolean, nowait: boolean): string {
  const key = `${op}:${withEvent}:${nowait}`;
  const known = texts.get(key);
  if (known) return known;
  const mapped = MAPPING_MATCHES.map(
    (kind) =>
      `SELECT 1 FROM g JOIN group_mappings m ON m.match_by = '${kind}' AND m.connection_id = g.connection_id AND m.match_value = g.${kind}`,
  ).join(' UNION ALL ');
  const change =
    op === 'add'
      ? `INSERT INTO group_memberships (org_id, group_id, user_id, created_at)
         SELECT g.org_id, g.id, u.id, :at FROM u, g, mapped WHERE NOT mapped.hit
         ON CONFLICT (group_id, user_id) DO NOTHING RETURNING user_id`
      : `DELETE FROM group_memberships gm USING u, g, mapped
         WHERE NOT mapped.hit AND gm.group_id = g.id AND gm.user_id = u.id RETURNING gm.user_id`;
  const names = `COALESCE((SELECT jsonb_agg(user_name ORDER BY user_name) FROM changed), '[]'::jsonb)`;
  const [added, removed] = op === 'add' ? ['counts.n', '0'] : ['0', 'counts.n'];
  const [addedUsers, removedUsers] = op === 'add' ? [names, `'[]'::jsonb`] : [`'[]'::jsonb`, names];
  const event = withEvent
    ? `, event AS (
        INSERT INTO events (id, org_id, occurred_at, subject_user_id, type, data)
        SELECT :eventId, g.org_id, :occurredAt, NULL, '${op === 'add' ? 'group.members_added' : 'group.members_removed'}',
          json_build_object(
            'group', json_build_object('id', g.id, 'displayName', g.display_name),
            'users', (SELECT json_agg(json_build_object('id', id, 'userName', user_name) ORDER BY user_name) FROM changed),
            'count', counts.n,
            'actor', CAST(:actor AS json))
        FROM g, counts WHERE counts.n > 0)`
    : '';
  const text = `WITH g AS (
      SELECT * FROM directory_groups WHERE org_id = :orgId AND id = :groupId AND connection_id = :connectionId FOR UPDATE${nowait ? ' NOWAIT' : ''}
    ), mapped AS (
      SELECT EXISTS (${mapped}) AS hit
    ), u AS (
      SELECT du.id, du.user_name FROM directory_users du
      WHERE du.org_id = :orgId AND du.connection_id = :connectionId
        AND du.id = ANY (ARRAY(SELECT json_array_elements_text(CAST(:userIds AS json))))
    ), step AS (${change}
    ), changed AS (
      SELECT u.id, u.user_name FROM step JOIN u ON u.id = step.user_id
    ), counts AS (
      SELECT (SELECT count(*) FROM changed)::int AS n, :requested - (SELECT count(*) FROM u)::int AS unknown
    ), bumped AS (
      UPDATE directory_groups d SET version = d.version + 1, updated_at = :at
      WHERE d.org_id = :orgId AND d.id = :groupId AND EXISTS (SELECT 1 FROM changed)
      RETURNING d.version, d.updated_at
    ), audit AS (
      INSERT INTO audit_events (id, org_id, occurred_at, actor_type, actor_id, actor_label, action,
        target_type, target_id, target_label, request_id, data)
      SELECT :auditId, g.org_id, :occurredAt, :actorType, :actorId, :actorLabel, 'group.members_changed',
        'group', g.id, g.display_name, :requestId,
        jsonb_build_object('added', ${added}, 'removed', ${removed}, 'addedUsers', ${addedUsers},
          'removedUsers', ${removedUsers}, 'unknownMembers', counts.unknown)
      FROM g, counts, mapped WHERE NOT mapped.hit AND (counts.n > 0 OR counts.unknown > 0)
    )${event}
    SELECT g.*, mapped.hit AS mapped, bumped.version AS bumped_version, bumped.updated_at AS bumped_at,
      (SELECT json_agg(json_build_object('id', id, 'userName', user_name) ORDER BY user_name) FROM changed) AS changed,
      (SELECT json_agg(id) FROM u) AS known
    FROM g CROSS JOIN mapped CROSS JOIN counts LEFT JOIN bumped ON true`;
  texts.set(key, text);
  return text;
}

function unknownOf(requested: readonly string[], known: readonly string[]): string[] {
  const users = new Set(known);
  return requested.filter((id) => !users.has(id));
}

/**
 * Runs the step; undefined when the connection has no such group. PostgreSQL only. With
 * `nowait`, a group another transaction has locked fails the statement at once (SQLSTATE
 * 55P03) instead of waiting for it.
 */
export async function applyMemberStep(
  db: Knex,
  r: MemberStepRequest,
  options: { nowait?: boolean } = {},
): Promise<MemberStepOutcome | undefined> {
  const a = r.audit;
  const bindings: Record<string, unknown> = {
    orgId: r.orgId,
    groupId: r.groupId,
    connectionId: r.connectionId,
    userIds: JSON.stringify(r.userIds),
    requested: r.userIds.length,
    at: r.at,
    auditId: a.id,
    occurredAt: a.occurredAt,
    actorType: a.actorType,
    actorId: a.actorId,
    actorLabel: a.actorLabel,
    requestId: a.requestId,
    ...(r.event ? { eventId: r.event.id, actor: JSON.stringify(r.event.actor) } : {}),
  };
  const [row] = await hotRowsNamed(db, statement(r.op, r.event !== undefined, options.nowait === true), bindings);
  return row ? outcomeOfRow(r, row) : undefined;
}

/** The outcome of a step from the row its statement (or its batch's) returned for it. */
export function outcomeOfRow(r: MemberStepRequest, row: Record<string, unknown>): MemberStepOutcome {
  const bumped = row.bumped_version !== null && row.bumped_version !== undefined;
  return {
    mapped: row.mapped === true,
    group: bumped
      ? { ...toGroup(row), version: Number(row.bumped_version), updatedAt: toIso(row.bumped_at) }
      : toGroup(row),
    changed: fromJson<Array<{ id: string; userName: string }>>(row.changed) ?? [],
    unknown: unknownOf(r.userIds, fromJson<string[]>(row.known) ?? []),
  };
}

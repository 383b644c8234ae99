/**
 * The bare reference server's second limit, on PostgreSQL: the writes of the steady state
 * with the rows DESIGN.md requires in the same transaction as their cause, and nothing else.
 * A deactivation updates the user, records its access state, ends its sessions, writes an
 * audit event, two outbox events (`user.deactivated`, `access.changed`), an access-history
 * entry, and announces the change to the other instances; a one-member add or remove
 * changes the row, bumps the group's version, and writes an audit event and an outbox event.
 * Each is one prepared statement (data-modifying CTEs), in the shapes the service writes,
 * with no read before it, no validation and no token check.
 *
 * The first limit (one row) is what the database and the HTTP stack allow; this one is what
 * any server keeping the design's records could reach on the same machine, so a phase's
 * distance to it is the service's own cost, and its distance to the first is the design's.
 */
import { randomUUID } from 'node:crypto';
import { timeOrderedUuid } from '../src/domain/time-ordered-id.js';

/** The actor the rows name: a SCIM token of the connection, as the service words it. */
const ACTOR_ID = '00000000-0000-4000-8000-000000000000';
const actorLabel = (connectionId: string): string => `SCIM token of connection ${connectionId}`;
/** Ids as the service makes them: audit events time-ordered, outbox events `evt_` and random. */
const eventId = (): string => `evt_${randomUUID().replaceAll('-', '')}`;

const DEACTIVATE = `WITH u AS (
    UPDATE directory_users SET active = false, version = version + 1, updated_at = $3::timestamptz
     WHERE org_id = $1 AND id = $2 AND active RETURNING id, org_id, user_name, connection_id, version
  ), actor AS (
    SELECT json_build_object('type', 'scim', 'id', $5::text, 'label', $6::text) AS a
  ), cause AS (
    SELECT json_build_object('action', 'user.deactivated', 'actor', actor.a,
      'target', json_build_object('type', 'user', 'id', u.id, 'label', u.user_name), 'requestId', $7::text,
      'operation', 'SCIM PATCH', 'connectionId', u.connection_id, 'auditEventId', $4::text) AS c
    FROM u, actor
  ), state AS (
    INSERT INTO user_access_states (user_id, org_id, state) SELECT id, org_id, '[0,0,"User",[],[],[]]' FROM u
    ON CONFLICT (user_id) DO UPDATE SET state = excluded.state
  ), sessions_ended AS (
    UPDATE sessions s SET revoked_at = $3::timestamptz FROM u
     WHERE s.org_id = u.org_id AND s.user_id = u.id AND s.revoked_at IS NULL
  ), audit AS (
    INSERT INTO audit_events (id, org_id, occurred_at, actor_type, actor_id, actor_label, action,
      target_type, target_id, target_label, request_id, data)
    SELECT $4::text, org_id, $3::timestamptz, 'scim', $5::text, $6::text, 'user.deactivated', 'user', id, user_name, $7::text,
      jsonb_build_object('before', jsonb_build_object('active', true), 'after', jsonb_build_object('active', false),
        'version', version, 'connectionId', connection_id)
    FROM u
  ), outbox AS (
    INSERT INTO events (id, org_id, type, occurred_at, subject_user_id, data)
    SELECT e.id, u.org_id, e.type, $3::timestamptz, u.id, e.data FROM u, actor, cause CROSS JOIN LATERAL (VALUES
      ($8::text, 'user.deactivated', json_build_object(
        'user', json_build_object('id', u.id, 'userName', u.user_name, 'connectionId', u.connection_id),
        'changed', json_build_array('active'), 'before', json_build_object('active', true),
        'after', json_build_object('active', false),
        'actor', json_build_object('type', 'scim', 'id', $5::text, 'label', $6::text, 'requestId', $7::text))::text),
      ($9::text, 'access.changed', json_build_object(
        'user', json_build_object('id', u.id, 'userName', u.user_name),
        'changes', json_build_object('active', json_build_object('from', true, 'to', false)), 'cause', cause.c)::text)
    ) AS e(id, type, data)
  ), changes AS (
    INSERT INTO access_changes (org_id, user_id, user_name, occurred_at, change, cause, request_id)
    SELECT u.org_id, u.id, u.user_name, $3::timestamptz, '{"active":{"from":true,"to":false}}', cause.c::text, $7::text
    FROM u, cause
  )
  SELECT pg_notify('identity_bridge_access', org_id || ':' || id) FROM u`;

function memberStep(op: 'add' | 'remove'): string {
  const step =
    op === 'add'
      ? `INSERT INTO group_memberships (org_id, group_id, user_id, created_at) VALUES ($1, $2, $3, $4::timestamptz)
         ON CONFLICT DO NOTHING RETURNING user_id`
      : `DELETE FROM group_memberships WHERE group_id = $2 AND user_id = $3 AND org_id = $1 RETURNING user_id`;
  const [added, removed] = op === 'add' ? ['1', '0'] : ['0', '1'];
  const names = `jsonb_build_array(u.user_name)`;
  const [addedUsers, removedUsers] = op === 'add' ? [names, `'[]'::jsonb`] : [`'[]'::jsonb`, names];
  return `WITH step AS (${step}
    ), g AS (
      UPDATE directory_groups SET version = version + 1, updated_at = $4::timestamptz
       WHERE org_id = $1 AND id = $2 AND EXISTS (SELECT 1 FROM step) RETURNING id, org_id, display_name
    ), u AS (
      SELECT id, user_name FROM directory_users WHERE org_id = $1 AND id = $3
    ), audit AS (
      INSERT INTO audit_events (id, org_id, occurred_at, actor_type, actor_id, actor_label, action,
        target_type, target_id, target_label, request_id, data)
      SELECT $5::text, g.org_id, $4::timestamptz, 'scim', $6::text, $7::text, 'group.members_changed', 'group', g.id,
        g.display_name, $8::text, jsonb_build_object('added', ${added}, 'removed', ${removed},
          'addedUsers', ${addedUsers}, 'removedUsers', ${removedUsers}, 'unknownMembers', 0)
      FROM g, u
    ), event AS (
      INSERT INTO events (id, org_id, occurred_at, subject_user_id, type, data)
      SELECT $9::text, g.org_id, $4::timestamptz, NULL, '${op === 'add' ? 'group.members_added' : 'group.members_removed'}',
        json_build_object('group', json_build_object('id', g.id, 'displayName', g.display_name),
          'users', json_build_array(json_build_object('id', u.id, 'userName', u.user_name)), 'count', 1,
          'actor', json_build_object('type', 'scim', 'id', $6::text, 'label', $7::text, 'requestId', $8::text))::text
      FROM g, u
    )
    SELECT count(*)::int AS changed FROM g`;
}

/** Built once: the server answers many steps a second, and its CPU is what the limit measures. */
const MEMBER_STEP = { add: memberStep('add'), remove: memberStep('remove') } as const;

export interface DesignStatement {
  readonly name: string;
  readonly text: string;
  readonly values: unknown[];
}

/** A deactivation with the design's rows. */
export function deactivation(orgId: string, connectionId: string, userId: string): DesignStatement {
  const at = new Date().toISOString();
  return {
    name: 'design_deactivate',
    text: DEACTIVATE,
    values: [
      orgId,
      userId,
      at,
      timeOrderedUuid(),
      ACTOR_ID,
      actorLabel(connectionId),
      randomUUID(),
      eventId(),
      eventId(),
    ],
  };
}

/** A one-member add or remove with the design's rows. */
export function memberChange(
  op: 'add' | 'remove',
  orgId: string,
  connectionId: string,
  groupId: string,
  userId: string,
): DesignStatement {
  const at = new Date().toISOString();
  return {
    name: `design_member_${op}`,
    text: MEMBER_STEP[op],
    values: [
      orgId,
      groupId,
      userId,
      at,
      timeOrderedUuid(),
      ACTOR_ID,
      actorLabel(connectionId),
      randomUUID(),
      eventId(),
    ],
  };
}

/**
 * Keeps the `idp` team memberships equal to what the mappings derive from the directory:
 * (team T, user U) exists iff a mapping names a group containing U and lists T. Set-based:
 * one DELETE of what is no longer justified and one INSERT ... SELECT of what is missing,
 * restricted to the users, group or teams a change can affect, so that a mapping over a
 * 100,000-member group is two statements, and a one-member change touches one user's rows.
 * `manual` memberships are never touched here.
 */
import type { Knex } from 'knex';
import { nowIso } from '../../domain/clock.js';
import { perMatchKind, perMatchKindBindings } from './access-facts.js';

/** Which (team, user) pairs to bring in step; the parts given are combined with AND. */
export interface ReconcileScope {
  readonly userIds?: readonly string[];
  /** Only the members of this group. */
  readonly groupId?: string;
  readonly teamIds?: readonly string[];
  /** When the change can only add pairs (a new mapping) or only remove them (a deleted one). */
  readonly only?: 'add' | 'remove';
}

/** Bound parameters per statement stay far below SQLite's and PostgreSQL's limits. */
const CHUNK = 500;

/** (team, user) pairs the mappings derive, restricted by `where` (which may use mt, m, g, gm). */
function derived(where: string): string {
  return perMatchKind(`SELECT mt.team_id, gm.user_id
    FROM group_mapping_teams mt
    JOIN group_mappings m ON m.id = mt.mapping_id
    JOIN directory_groups g ON MATCH
    JOIN group_memberships gm ON gm.group_id = g.id
   WHERE ${where}`);
}

export class IdpTeamMembershipRepository {
  constructor(private readonly db: Knex) {}

  async reconcile(orgId: string, scope: ReconcileScope): Promise<{ added: number; removed: number }> {
    if (scope.userIds !== undefined) {
      let added = 0;
      let removed = 0;
      const ids = [...new Set(scope.userIds)];
      for (let i = 0; i < ids.length; i += CHUNK) {
        const r = await this.reconcileChunk(orgId, { ...scope, userIds: ids.slice(i, i + CHUNK) });
        added += r.added;
        removed += r.removed;
      }
      return { added, removed };
    }
    return this.reconcileChunk(orgId, scope);
  }

  private async reconcileChunk(orgId: string, scope: ReconcileScope): Promise<{ added: number; removed: number }> {
    if (scope.userIds?.length === 0 || scope.teamIds?.length === 0) return { added: 0, removed: 0 };
    const restrict = (team: string, user: string): { sql: string; bindings: string[] } => {
      const parts: string[] = [];
      const bindings: string[] = [];
      if (scope.userIds) {
        parts.push(`${user} IN (${scope.userIds.map(() => '?').join(', ')})`);
        bindings.push(...scope.userIds);
      }
      if (scope.groupId !== undefined) {
        parts.push(`${user} IN (SELECT x.user_id FROM group_memberships x WHERE x.group_id = ?)`);
        bindings.push(scope.groupId);
      }
      if (scope.teamIds) {
        parts.push(`${team} IN (${scope.teamIds.map(() => '?').join(', ')})`);
        bindings.push(...scope.teamIds);
      }
      return { sql: parts.map((p) => ` AND ${p}`).join(''), bindings };
    };

    const del = restrict('tm.team_id', 'tm.user_id');
    const removed =
      scope.only === 'add'
        ? null
        : await this.db.raw(
            `DELETE FROM team_memberships AS tm
        WHERE tm.org_id = ? AND tm.source = 'idp'${del.sql}
          AND NOT EXISTS (${derived('mt.team_id = tm.team_id AND gm.user_id = tm.user_id')})`,
            [orgId, ...del.bindings],
          );

    const ins = restrict('mt.team_id', 'gm.user_id');
    // DISTINCT stays inside: outside it, PostgreSQL would type the bound values as text.
    const added =
      scope.only === 'remove'
        ? null
        : await this.db.raw(
            `INSERT INTO team_memberships (org_id, team_id, user_id, source, created_at)
       SELECT ?, d.team_id, d.user_id, 'idp', ?
         FROM (SELECT DISTINCT team_id, user_id FROM (${derived(`m.org_id = ?${ins.sql}`)}) pairs) d
        WHERE true
       ON CONFLICT (team_id, user_id, source) DO NOTHING`,
            [orgId, nowIso(), ...perMatchKindBindings([orgId, ...ins.bindings])],
          );
    return { added: changedRows(added), removed: changedRows(removed) };
  }

  /** Whether any mapping of the org names this group (if none, its member changes affect no team). */
  async groupIsMapped(orgId: string, groupId: string): Promise<boolean> {
    const rows = (await this.db.raw(
      `SELECT 1 AS hit FROM (${perMatchKind(
        'SELECT m.id FROM directory_groups g JOIN group_mappings m ON MATCH WHERE g.org_id = ? AND g.id = ?',
      )}) x LIMIT 1`,
      perMatchKindBindings([orgId, groupId]),
    )) as unknown;
    return rowsOf(rows).length > 0;
  }

  /** Teams listed by any mapping of the connection (what a group rename or delete there can affect). */
  async teamsMappedFrom(orgId: string, connectionId: string): Promise<string[]> {
    const rows = await this.db('group_mapping_teams as mt')
      .join('group_mappings as m', 'm.id', 'mt.mapping_id')
      .where({ 'm.org_id': orgId, 'm.connection_id': connectionId })
      .distinct('mt.team_id');
    return rows.map((r: { team_id: string }) => r.team_id);
  }
}

function rowsOf(result: unknown): unknown[] {
  return Array.isArray(result) ? result : ((result as { rows?: unknown[] }).rows ?? []);
}

/** Rows a raw INSERT/DELETE changed: pg's rowCount, better-sqlite3's changes. */
function changedRows(result: unknown): number {
  const r = result as { rowCount?: number | null; changes?: number } | null;
  return Number(r?.rowCount ?? r?.changes ?? 0);
}

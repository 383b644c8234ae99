/**
 * A person's access history as an admin reads it: each change of their access, newest
 * first, in words ("lost devices:read-update on test-lab-devices"), with its cause in
 * words ("Okta removed walter from group Test Lab, SCIM PATCH, request 1f2e...").
 */
import { describeDiff, type AccessDiff } from '../access/access-state.js';
import { NotFoundError } from '../domain/errors/index.js';
import type { StoredAccessChange } from '../store/repositories/access-history.js';
import type { Store } from '../store/store.js';
import type { AccessCause, AccessHistoryRecorder } from './access-recorder.js';

export interface AccessHistoryEntry {
  readonly id: string;
  readonly occurredAt: string;
  readonly changes: AccessDiff;
  /** The changes in words, most telling first. */
  readonly summary: readonly string[];
  readonly cause: AccessCause & { readonly connectionName: string | null };
  /** The cause in words. */
  readonly causeText: string;
}

export interface AccessHistoryPage {
  readonly user: { readonly id: string; readonly userName: string; readonly deleted: boolean };
  readonly items: readonly AccessHistoryEntry[];
  /** The id of the oldest entry when more follow. */
  readonly before: string | null;
}

const VERBS: Record<string, string> = {
  'user.created': 'created',
  'user.updated': 'updated',
  'user.deactivated': 'deactivated',
  'user.reactivated': 'reactivated',
  'user.deleted': 'deleted',
  'group.renamed': 'renamed group',
  'group.updated': 'changed group',
  'group.deleted': 'deleted group',
  'mapping.created': 'created the mapping of group',
  'mapping.updated': 'changed the mapping of group',
  'mapping.deleted': 'deleted the mapping of group',
  'team.created': 'created team',
  'team.updated': 'changed team',
  'team.deleted': 'deleted team',
  'team.member_added': 'added them to team',
  'team.member_removed': 'removed them from team',
  'policy.updated': 'changed the org policy',
};

/** Who made the change, in words: the IdP a SCIM token or a sync acts for, else the actor's label. */
function whoOf(cause: AccessCause, connectionName: string | null): string {
  if (cause.actor.type === 'scim') return connectionName ?? 'The identity provider';
  if (cause.actor.type === 'sync') return `Directory sync${connectionName ? ` of ${connectionName}` : ''}`;
  if (cause.actor.type === 'cli') return 'An operator (CLI)';
  if (cause.actor.type === 'system') return 'identity-bridge';
  if (cause.actor.type === 'admin') {
    if (
      cause.actor.id?.startsWith('setup-link:') ||
      cause.actor.label === 'setup link' ||
      cause.actor.label === 'setup link holder'
    )
      return 'An admin (console)';
    if (cause.actor.label === 'admin API token') return 'An admin (API token)';
  }
  return cause.actor.label ? `${cause.actor.label}` : 'An admin';
}

export function causeInWords(cause: AccessCause, userName: string, connectionName: string | null): string {
  const who = whoOf(cause, connectionName);
  const label = cause.target?.label ?? cause.target?.id ?? '';
  let what: string;
  if (cause.action === 'group.members_changed' || cause.action === 'group.created') {
    what =
      cause.membership === 'removed'
        ? `removed ${userName} from group ${label}`
        : cause.membership === 'added'
          ? `added ${userName} to group ${label}`
          : `changed the members of group ${label}`;
  } else if (cause.action.startsWith('user.')) {
    what = `${VERBS[cause.action] ?? cause.action} ${userName}`;
  } else if (cause.action === 'unknown') {
    what = 'made a change';
  } else {
    const verb = VERBS[cause.action];
    what = verb
      ? `${verb}${label && cause.action !== 'policy.updated' ? ` ${label}` : ''}`
      : `${cause.action} ${label}`.trim();
  }
  const parts = [`${who} ${what}`];
  if (cause.operation) parts.push(cause.operation);
  if (cause.requestId && cause.actor.type !== 'sync') parts.push(`request ${cause.requestId}`);
  if (cause.actor.type === 'sync' && cause.requestId) parts.push(`run ${cause.requestId}`);
  return parts.join(', ');
}

export class AccessHistoryService {
  constructor(
    private readonly store: Store,
    private readonly recorder: AccessHistoryRecorder,
  ) {}

  /**
   * Records the current access of every user of the orgs whose users predate the history,
   * one org per transaction (at start, before their first change is told); returns how many orgs.
   */
  async startPending(): Promise<number> {
    const orgs = await this.store.repos.accessHistory.orgsWithoutHistory();
    for (const orgId of orgs) {
      await this.store.transaction(async (repos) => {
        if ((await repos.accessHistory.historySince(orgId)) === null) await this.recorder.startHistory(repos, orgId);
      });
    }
    return orgs.length;
  }

  /** The person's changes (by id or userName; a deleted person by the id or name their history keeps). */
  async list(orgId: string, user: string, options: { limit: number; before?: string }): Promise<AccessHistoryPage> {
    const repos = this.store.repos;
    const found = (await repos.users.get(orgId, user)) ?? (await repos.users.findByUserName(orgId, user));
    let subject: AccessHistoryPage['user'];
    if (found) subject = { id: found.id, userName: found.userName, deleted: false };
    else {
      const former = await repos.accessHistory.formerUser(orgId, user);
      if (!former) throw new NotFoundError('user', user);
      subject = { ...former, deleted: true };
    }
    const rows = await repos.accessHistory.history(orgId, subject.id, options.limit + 1, options.before);
    const page = rows.slice(0, options.limit);
    const connectionNames = await this.connectionNames(orgId, page);
    const items = page.map((r) => this.entryOf(r, connectionNames));
    return { user: subject, items, before: rows.length > options.limit ? (page[page.length - 1]?.id ?? null) : null };
  }

  private entryOf(row: StoredAccessChange, names: ReadonlyMap<string, string>): AccessHistoryEntry {
    const cause = row.cause as AccessCause;
    const connectionName = cause.connectionId ? (names.get(cause.connectionId) ?? null) : null;
    const changes = row.change as AccessDiff;
    return {
      id: row.id,
      occurredAt: row.occurredAt,
      changes,
      summary: describeDiff(changes),
      cause: { ...cause, connectionName },
      causeText: causeInWords(cause, row.userName, connectionName),
    };
  }

  private async connectionNames(orgId: string, rows: readonly StoredAccessChange[]): Promise<Map<string, string>> {
    const ids = new Set(rows.map((r) => (r.cause as AccessCause).connectionId).filter((id): id is string => !!id));
    const out = new Map<string, string>();
    if (ids.size === 0) return out;
    for (const c of await this.store.repos.connections.list(orgId)) if (ids.has(c.id)) out.set(c.id, c.name);
    return out;
  }
}

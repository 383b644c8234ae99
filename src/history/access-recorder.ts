/**
 * Records access history in the transaction that changes access, just before it commits.
 * The writes name the users whose access may have moved (`repos.accessChanges.touch`, or
 * the whole org when its teams, mappings or policy change); for each batch of them this
 * reads their facts in one statement, evaluates their access, compares it with the state
 * recorded last time and, for those that differ, writes the new state, an `access_changes`
 * row with its cause (the audit event of the same transaction) and an `access.changed`
 * event. A batch costs a fixed number of statements however many users it holds.
 *
 * On PostgreSQL the batch's user rows are locked first (in id order): two transactions
 * recording the same user take turns, and the second compares against what the first wrote.
 */
import {
  INACTIVE,
  NO_ACCESS,
  accessStateOf,
  diffAccess,
  parseState,
  serializeState,
  type AccessDiff,
} from '../access/access-state.js';
import { evaluateAccess, type OrgAccessConfig } from '../access/effective-access.js';
import { readAccessConfig } from '../decisions/access-service.js';
import type { AuditEvent } from '../store/repositories/audit-events.js';
import type { AccessChangeRow } from '../store/repositories/access-history.js';
import type { MappedGroupRow, StoredUserFacts } from '../store/repositories/access-facts.js';
import type { Repositories } from '../store/store.js';
import type { TouchedOrg, TransactionChanges } from '../store/transaction-changes.js';
import { nowIso } from '../domain/clock.js';

/** Users recorded per batch (one set of statements each). */
const BATCH = 1000;
const MAX_CACHED_CONFIGS = 1000;

/** Why access changed: the audited write of the same transaction. */
export interface AccessCause {
  readonly action: string;
  readonly actor: { readonly type: string; readonly id: string | null; readonly label: string | null };
  readonly target: { readonly type: string | null; readonly id: string | null; readonly label: string | null } | null;
  readonly requestId: string | null;
  readonly operation: string | null;
  readonly connectionId: string | null;
  readonly auditEventId: string | null;
  /** For a membership change: whether this user was added or removed. */
  readonly membership?: 'added' | 'removed';
}

const UNKNOWN_CAUSE: AccessCause = {
  action: 'unknown',
  actor: { type: 'system', id: null, label: null },
  target: null,
  requestId: null,
  operation: null,
  connectionId: null,
  auditEventId: null,
};

function causeOf(e: AuditEvent): AccessCause {
  return {
    action: e.action,
    actor: { type: e.actorType, id: e.actorId, label: e.actorLabel },
    target: e.targetType || e.targetId ? { type: e.targetType, id: e.targetId, label: e.targetLabel } : null,
    requestId: e.requestId,
    operation: e.via?.operation ?? null,
    connectionId: e.via?.connectionId ?? null,
    auditEventId: e.id,
  };
}

/**
 * The cause told for one user: the audit event about them if there is one, else the
 * membership change that named them, else the transaction's last audit event.
 */
class Causes {
  private readonly byUser = new Map<string, AccessCause>();
  private last: AccessCause;

  constructor(orgId: string, changes: TransactionChanges) {
    const events = changes.audit.filter((e) => e.orgId === orgId);
    const lastEvent = events[events.length - 1];
    this.last = lastEvent ? causeOf(lastEvent) : UNKNOWN_CAUSE;
    const memberEvent = [...events]
      .reverse()
      .find((e) => e.action === 'group.members_changed' || e.action === 'group.created');
    if (memberEvent) {
      const base = causeOf(memberEvent);
      for (const m of changes.memberships) {
        if (m.orgId !== orgId || m.groupId !== memberEvent.targetId) continue;
        for (const id of m.added) this.byUser.set(id, { ...base, membership: 'added' });
        for (const id of m.removed) this.byUser.set(id, { ...base, membership: 'removed' });
      }
    }
    for (const e of events) if (e.targetType === 'user' && e.targetId) this.byUser.set(e.targetId, causeOf(e));
  }

  of(userId: string): AccessCause {
    return this.byUser.get(userId) ?? this.last;
  }

  /** A mapping named by its group's id is told by the group's name (as it is now). */
  async nameGroups(repos: Repositories, orgId: string): Promise<void> {
    const named = new Map<string, string>();
    const rename = async (cause: AccessCause): Promise<AccessCause> => {
      const label = cause.target?.label;
      if (cause.target?.type !== 'mapping' || !label?.startsWith('id=')) return cause;
      const groupId = label.slice(3);
      if (!named.has(groupId)) named.set(groupId, (await repos.groups.get(orgId, groupId))?.displayName ?? label);
      return { ...cause, target: { ...cause.target, label: named.get(groupId)! } };
    };
    this.last = await rename(this.last);
    for (const [id, cause] of this.byUser) this.byUser.set(id, await rename(cause));
  }
}

/**
 * What deactivating one user records, given the state recorded for them (undefined: none):
 * the inactive state (which no group, team or policy changes) and, when it differs, the
 * change with its cause (the deactivation's audit event). Undefined when nothing is to be
 * recorded. The same as `record` writes for a touched user who was deactivated.
 */
export function deactivationRecord(
  user: { readonly id: string; readonly userName: string },
  before: string | undefined,
  audit: AuditEvent,
): DeactivationRecord | undefined {
  return deactivation(user.userName, before, causeOf(audit));
}

type DeactivationRecord = {
  after: string;
  change?: { userName: string; change: AccessDiff; cause: AccessCause; requestId: string | null };
};

function deactivation(
  userName: string,
  before: string | undefined,
  cause: AccessCause,
): DeactivationRecord | undefined {
  const after = serializeState(INACTIVE);
  if (before === after) return undefined;
  const diff = diffAccess(before === undefined ? NO_ACCESS : parseState(before), INACTIVE);
  return { after, ...(diff ? { change: { userName, change: diff, cause, requestId: cause.requestId } } : {}) };
}

/** What recording one org's changes in one transaction reads once and reuses across batches. */
interface OrgRecording {
  readonly repos: Repositories;
  readonly orgId: string;
  readonly configChanged: boolean;
  readonly causes: Causes;
  /** Whether each change is also an `access.changed` event in the outbox. */
  readonly events: boolean;
  /** The config read in this transaction when it changed there (never shared with others). */
  config?: OrgAccessConfig;
  mappedGroups?: MappedGroupRow[];
}

export class AccessHistoryRecorder {
  /** Configs by org, reused while their version stands (only ones read outside a changing transaction). */
  private readonly configs = new Map<string, OrgAccessConfig>();
  private readonly started = new Set<string>();

  /**
   * Records every touched user's change of access, a batch at a time (a change over 100,000
   * users is never held in memory whole), each also an `access.changed` event when `events`.
   */
  async record(repos: Repositories, changes: TransactionChanges, events: boolean): Promise<void> {
    for (const [orgId, touched] of changes.touched) {
      if (!(await this.historyStarted(repos, orgId))) continue;
      const causes = new Causes(orgId, changes);
      await causes.nameGroups(repos, orgId);
      await this.recordOrg({ repos, orgId, configChanged: touched.configChanged, causes, events }, touched);
    }
  }

  /**
   * Records the current state of every user of an org without telling it as changes (an
   * org whose users predate the history), then marks its history started.
   */
  async startHistory(repos: Repositories, orgId: string): Promise<number> {
    let after = '';
    let users = 0;
    const config = await readAccessConfig(repos, orgId);
    const mapped = await repos.accessFacts.mappedGroups(orgId);
    for (;;) {
      const facts = await repos.accessFacts.factsOfUsers(orgId, { after, limit: BATCH }, mapped);
      const last = facts[facts.length - 1];
      if (!last) break;
      await repos.accessHistory.saveStates(
        orgId,
        facts.map((f) => ({ userId: f.id, state: serializeState(accessStateOf(evaluateAccess(config, f))) })),
      );
      users += facts.length;
      after = last.id;
    }
    await repos.accessHistory.markHistoryStarted(orgId, nowIso());
    this.started.add(orgId);
    return users;
  }

  private async historyStarted(repos: Repositories, orgId: string): Promise<boolean> {
    if (this.started.has(orgId)) return true;
    const since = await repos.accessHistory.historySince(orgId);
    if (since) this.started.add(orgId);
    return Boolean(since);
  }

  private async recordOrg(rec: OrgRecording, touched: TouchedOrg): Promise<void> {
    const { repos, orgId } = rec;
    if (!touched.all) {
      await this.recordDeactivated(rec, touched);
      const ids = [...touched.users].sort();
      for (let i = 0; i < ids.length; i += BATCH) {
        const batch = ids.slice(i, i + BATCH);
        await repos.accessHistory.lockUsers(orgId, batch);
        const { facts, states } = await this.load(rec, batch);
        await this.recordBatch(rec, facts, states);
      }
      return;
    }
    let after = '';
    for (;;) {
      // The page's user rows are locked by the read of their facts (PostgreSQL).
      rec.mappedGroups ??= await repos.accessFacts.mappedGroups(orgId);
      const facts = await repos.accessFacts.factsOfUsers(orgId, { after, limit: BATCH }, rec.mappedGroups);
      const upTo = facts[facts.length - 1]?.id;
      if (upTo === undefined) break;
      const states = await repos.accessHistory.statesInRange(orgId, after, upTo);
      await this.recordBatch(rec, facts, states);
      after = upTo;
    }
  }

  /**
   * The users the transaction deactivated and touched in no other way: their access is the
   * inactive state, so only their recorded states are read (what `deactivationRecord` tells
   * the one-statement update, and what `recordBatch` would make of their facts).
   */
  private async recordDeactivated(rec: OrgRecording, touched: TouchedOrg): Promise<void> {
    const { repos, orgId, causes } = rec;
    const users = [...touched.deactivated]
      .filter(([id]) => !touched.users.has(id))
      .sort(([a], [b]) => (a < b ? -1 : 1));
    for (let i = 0; i < users.length; i += BATCH) {
      const batch = users.slice(i, i + BATCH);
      const ids = batch.map(([id]) => id);
      await repos.accessHistory.lockUsers(orgId, ids);
      const states = await repos.accessHistory.states(ids);
      const at = nowIso();
      const saved: Array<{ userId: string; state: string }> = [];
      const rows: AccessChangeRow[] = [];
      for (const [userId, userName] of batch) {
        const recorded = deactivation(userName, states.get(userId), causes.of(userId));
        if (!recorded) continue;
        saved.push({ userId, state: recorded.after });
        if (recorded.change) rows.push({ orgId, userId, occurredAt: at, ...recorded.change });
      }
      if (saved.length) await repos.accessHistory.saveStates(orgId, saved);
      if (rows.length) await repos.accessHistory.insertChanges(rows, rec.events);
    }
  }

  /** The users' facts and recorded states, read one after the other (a transaction's statements share one connection). */
  private async load(
    rec: OrgRecording,
    users: readonly string[],
  ): Promise<{ facts: StoredUserFacts[]; states: Map<string, string> }> {
    const states = await rec.repos.accessHistory.states(users);
    rec.mappedGroups ??= await rec.repos.accessFacts.mappedGroups(rec.orgId);
    const facts = await rec.repos.accessFacts.factsOfUsers(rec.orgId, users, rec.mappedGroups);
    return { facts, states };
  }

  private async recordBatch(
    rec: OrgRecording,
    facts: readonly StoredUserFacts[],
    states: ReadonlyMap<string, string>,
  ): Promise<void> {
    const { repos, orgId, causes } = rec;
    if (facts.length === 0 && states.size === 0) return;
    const config = facts.length ? await this.configFor(rec, facts[0]!.configVersion) : undefined;
    const at = nowIso();
    const saved: Array<{ userId: string; state: string }> = [];
    const rows: AccessChangeRow[] = [];
    const add = (userId: string, userName: string, diff: AccessDiff): void => {
      const cause = causes.of(userId);
      rows.push({ orgId, userId, userName, occurredAt: at, change: diff, cause, requestId: cause.requestId });
    };
    const present = new Set<string>();
    const nothing = serializeState(NO_ACCESS);
    for (const f of facts) {
      present.add(f.id);
      const state = accessStateOf(evaluateAccess(config!, f));
      const text = serializeState(state);
      const before = states.get(f.id);
      if (before === text) continue;
      if (before === undefined && text === nothing) continue;
      saved.push({ userId: f.id, state: text });
      const diff = diffAccess(before === undefined ? NO_ACCESS : parseState(before), state);
      if (diff) add(f.id, f.userName, diff);
    }
    // Users that are gone (deleted in this transaction): they lose what they held.
    const gone = [...states.keys()].filter((id) => !present.has(id));
    if (gone.length) {
      const names = await repos.users.userNamesOf(orgId, gone);
      for (const id of gone) {
        const diff = diffAccess(parseState(states.get(id)!), null);
        const cause = causes.of(id);
        const name = names.get(id) ?? (cause.target?.id === id ? cause.target.label : null) ?? id;
        if (diff) add(id, name, diff);
      }
      await repos.accessHistory.dropStates(gone);
    }
    if (saved.length) await repos.accessHistory.saveStates(orgId, saved);
    if (rows.length) await repos.accessHistory.insertChanges(rows, rec.events);
  }

  /** The org's access configuration: read in the transaction when it changed there, else cached by version. */
  private async configFor(rec: OrgRecording, version: number): Promise<OrgAccessConfig> {
    if (rec.configChanged) return (rec.config ??= await readAccessConfig(rec.repos, rec.orgId));
    const cached = this.configs.get(rec.orgId);
    if (cached && cached.version === version) return cached;
    const config = await readAccessConfig(rec.repos, rec.orgId);
    if (this.configs.size >= MAX_CACHED_CONFIGS) this.configs.clear();
    this.configs.set(rec.orgId, config);
    return config;
  }
}

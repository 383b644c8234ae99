/**
 * Decisions and explanations for factory services, the CLI and the admin console.
 *
 * Without a change feed (SQLite, the CLI, or while the feed is down) each decision reads
 * the user's facts in one round trip, together with the org's access-config version, and
 * reuses the org's teams, mappings and policy while that version stands.
 *
 * With a healthy change feed (PostgreSQL) decisions are answered from memory: user facts
 * and org configuration are cached, every write announces what it changed at commit, and
 * `feed.sync()` before each decision guarantees that every change acknowledged before the
 * decision was asked for has already dropped the cached copy. So a second instance never
 * serves a stale grant, and a decision costs no query in the common case.
 */
import { decide, type AccessDecision, type AccessQuestion } from '../access/decision.js';
import { evaluateAccess, type EffectiveAccess, type OrgAccessConfig } from '../access/effective-access.js';
import { explainAccess } from '../access/explanation.js';
import { accessPolicyOf } from '../access/policy.js';
import { foldCase } from '../domain/directory.js';
import { NotFoundError } from '../domain/errors/index.js';
import type { AccessChange, AccessChangeFeed } from '../store/access-change-feed.js';
import type { StoredUserFacts } from '../store/repositories/access-facts.js';
import type { Repositories, Store } from '../store/store.js';
import type { Span } from '@opentelemetry/api';
import { ATTR } from '../telemetry/attributes.js';
import { accessDecisions } from '../telemetry/metrics.js';
import { inSpan, tracingEnabled } from '../telemetry/tracing.js';

const ALLOWED = accessDecisions.labels({ result: 'allowed' });
const DENIED = accessDecisions.labels({ result: 'denied' });

export interface Explained extends EffectiveAccess {
  readonly explanation: readonly string[];
}

/** Past these sizes a cache starts over (it only ever saves reads). */
const MAX_CACHED_ORGS = 10_000;
const MAX_CACHED_USERS = 500_000;

interface OrgCache {
  /** Bumped by every change announced for the org: a read that overlaps one is not cached. */
  generation: number;
  config: OrgAccessConfig | undefined;
  readonly byId: Map<string, StoredUserFacts>;
  /**
   * Folded userName → id, as last read. A name is only a pointer: a hit counts only when
   * the facts it points to still carry that name (a rename or a recycled userName leaves
   * the old pointer behind until the user's change drops it).
   */
  readonly idByName: Map<string, string>;
}

export class AccessService {
  private readonly configs = new Map<string, OrgAccessConfig>();
  private readonly orgs = new Map<string, OrgCache>();
  private cachedUsers = 0;
  private feed: AccessChangeFeed | undefined;

  constructor(private readonly store: Store) {}

  /** Serves decisions from memory, kept exact by this feed (see the module comment). */
  useChangeFeed(feed: AccessChangeFeed): void {
    this.feed = feed;
  }

  /** A change was committed somewhere: forget what it touches. */
  applyChange(change: AccessChange): void {
    const org = this.orgs.get(change.orgId);
    if (!org) return;
    org.generation++;
    if (change.userIds === null) {
      org.config = undefined;
      this.cachedUsers -= org.byId.size;
      org.byId.clear();
      org.idByName.clear();
      return;
    }
    for (const id of change.userIds) if (forget(org, id)) this.cachedUsers--;
  }

  /** Whether the user's facts are held in memory (for operators and tests). */
  isCached(orgId: string, user: string): boolean {
    const org = this.orgs.get(orgId);
    return org !== undefined && lookup(org, user) !== undefined;
  }

  /** Notifications may have been missed: forget everything. */
  reset(): void {
    for (const org of this.orgs.values()) org.generation++;
    this.orgs.clear();
    this.cachedUsers = 0;
  }

  async effectiveAccess(orgId: string, user: string): Promise<EffectiveAccess> {
    const { facts, config } = await this.load(orgId, user);
    return evaluateAccess(config, facts);
  }

  async check(orgId: string, user: string, question: AccessQuestion): Promise<AccessDecision & { userId: string }> {
    if (!tracingEnabled()) return this.decide(orgId, user, question);
    return inSpan('access.decision', { [ATTR.orgId]: orgId, 'access.scope': question.scope }, (span) =>
      this.decide(orgId, user, question, span),
    );
  }

  private async decide(
    orgId: string,
    user: string,
    question: AccessQuestion,
    span?: Span,
  ): Promise<AccessDecision & { userId: string }> {
    const { facts, config } = await this.load(orgId, user);
    const access = evaluateAccess(config, facts);
    const decision = decide(config.policy, access, question);
    (decision.allowed ? ALLOWED : DENIED).inc();
    span?.setAttributes({
      [ATTR.userId]: facts.id,
      [ATTR.teamId]: access.teams.map((t) => t.id),
      'access.allowed': decision.allowed,
    });
    return { ...decision, userId: facts.id };
  }

  async explain(orgId: string, user: string): Promise<Explained> {
    const access = await this.effectiveAccess(orgId, user);
    return { ...access, explanation: explainAccess(access) };
  }

  private async load(orgId: string, user: string): Promise<{ facts: StoredUserFacts; config: OrgAccessConfig }> {
    const feed = this.feed;
    if (!feed?.healthy) return this.loadUncached(orgId, user);
    const org = this.orgCache(orgId);
    if (lookup(org, user) && org.config) {
      // A hit is only as good as the notifications handled so far: catch up first.
      const synced = await feed.sync().then(
        () => true,
        () => false, // the feed broke mid-way: read the database
      );
      const current = this.orgs.get(orgId);
      const facts = synced && current ? lookup(current, user) : undefined;
      if (facts && current?.config) return { facts, config: current.config };
    }
    // A miss reads the database, which is authoritative: no need to wait for notifications.
    const generation = org.generation;
    const { facts, config } = await this.loadUncached(orgId, user);
    // Keep what was read only if no change for the org was announced meanwhile.
    if (feed.healthy && org.generation === generation && this.orgs.get(orgId) === org) {
      org.config = config;
      if (!org.byId.has(facts.id)) {
        if (this.cachedUsers >= MAX_CACHED_USERS) this.reset();
        else this.cachedUsers++;
      }
      org.byId.set(facts.id, facts);
      org.idByName.set(foldCase(facts.userName), facts.id);
    }
    return { facts, config };
  }

  private async loadUncached(
    orgId: string,
    user: string,
  ): Promise<{ facts: StoredUserFacts; config: OrgAccessConfig }> {
    const facts = await this.store.repos.accessFacts.userFacts(orgId, user);
    if (!facts) throw new NotFoundError('user', user);
    const cached = this.configs.get(orgId);
    const config = cached && cached.version === facts.configVersion ? cached : await this.readConfig(orgId);
    if (this.configs.size >= MAX_CACHED_ORGS) this.configs.clear();
    this.configs.set(orgId, config);
    return { facts, config };
  }

  private orgCache(orgId: string): OrgCache {
    let org = this.orgs.get(orgId);
    if (!org) {
      if (this.orgs.size >= MAX_CACHED_ORGS) this.reset();
      org = { generation: 0, config: undefined, byId: new Map(), idByName: new Map() };
      this.orgs.set(orgId, org);
    }
    return org;
  }

  private readConfig(orgId: string): Promise<OrgAccessConfig> {
    return readAccessConfig(this.store.repos, orgId);
  }
}

/** The org's teams, mappings and policy, read through `repos` (the database, or one transaction). */
export async function readAccessConfig(repos: Repositories, orgId: string): Promise<OrgAccessConfig> {
  // Version first: a concurrent edit can only make the copy look older than it is.
  const version = (await repos.accessFacts.configVersion(orgId)) ?? 0;
  const stored = await repos.accessFacts.config(orgId);
  const policy = await repos.policies.get(orgId);
  return {
    orgId,
    version,
    policy: accessPolicyOf(policy),
    teams: new Map(stored.teams.map((t) => [t.id, t])),
    mappings: new Map(stored.mappings.map((m) => [m.id, m])),
  };
}

/** The cached facts of the user named by id or (case-insensitive) userName, if any. */
function lookup(org: OrgCache, user: string): StoredUserFacts | undefined {
  const byId = org.byId.get(user);
  if (byId) return byId;
  const name = foldCase(user);
  const id = org.idByName.get(name);
  const facts = id !== undefined ? org.byId.get(id) : undefined;
  // The name may have moved on (renamed, or taken by someone else since): only the database knows.
  return facts && foldCase(facts.userName) === name ? facts : undefined;
}

/** Drops a user's facts and the name that points to them; true when they were cached. */
function forget(org: OrgCache, id: string): boolean {
  const facts = org.byId.get(id);
  if (!facts) return false;
  const name = foldCase(facts.userName);
  if (org.idByName.get(name) === id) org.idByName.delete(name);
  return org.byId.delete(id);
}

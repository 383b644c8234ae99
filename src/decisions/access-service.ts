/**
 * Decisions and explanations for factory services, the CLI and the admin console.
 *
 * Each decision reads the user's facts live in one round trip (active flag, mapped groups,
 * manual teams, and the org's access-config version); the org's teams, mappings and policy
 * are cached per instance and reloaded when that version moved. Every team, mapping and
 * policy edit bumps the version in its own transaction, so a decision on any instance,
 * right after a change commits anywhere, sees it: no instance serves a stale grant.
 */
import { decide, type AccessDecision, type AccessQuestion } from '../access/decision.js';
import { evaluateAccess, type EffectiveAccess, type OrgAccessConfig } from '../access/effective-access.js';
import { explainAccess } from '../access/explanation.js';
import { accessPolicyOf } from '../admin/policy.js';
import { NotFoundError } from '../domain/errors/index.js';
import type { Store } from '../store/store.js';

export interface Explained extends EffectiveAccess {
  readonly explanation: readonly string[];
}

/** More orgs than this in one process and the cache starts over (it only ever saves reads). */
const MAX_CACHED_ORGS = 10_000;

export class AccessService {
  private readonly configs = new Map<string, OrgAccessConfig>();

  constructor(private readonly store: Store) {}

  async effectiveAccess(orgId: string, user: string): Promise<EffectiveAccess> {
    const facts = await this.store.repos.accessFacts.userFacts(orgId, user);
    if (!facts) throw new NotFoundError('user', user);
    const config = await this.configFor(orgId, facts.configVersion);
    return evaluateAccess(config, facts);
  }

  async check(orgId: string, user: string, question: AccessQuestion): Promise<AccessDecision & { userId: string }> {
    const facts = await this.store.repos.accessFacts.userFacts(orgId, user);
    if (!facts) throw new NotFoundError('user', user);
    const config = await this.configFor(orgId, facts.configVersion);
    return { ...decide(config.policy, evaluateAccess(config, facts), question), userId: facts.id };
  }

  async explain(orgId: string, user: string): Promise<Explained> {
    const access = await this.effectiveAccess(orgId, user);
    return { ...access, explanation: explainAccess(access) };
  }

  private async configFor(orgId: string, version: number): Promise<OrgAccessConfig> {
    const cached = this.configs.get(orgId);
    if (cached && cached.version === version) return cached;
    const repos = this.store.repos;
    // Version first: a concurrent edit can only make the copy look older than it is.
    const current = (await repos.accessFacts.configVersion(orgId)) ?? version;
    const [stored, policy] = await Promise.all([repos.accessFacts.config(orgId), repos.policies.get(orgId)]);
    const config: OrgAccessConfig = {
      orgId,
      version: current,
      policy: accessPolicyOf(policy),
      teams: new Map(stored.teams.map((t) => [t.id, t])),
      mappings: new Map(stored.mappings.map((m) => [m.id, m])),
    };
    if (this.configs.size >= MAX_CACHED_ORGS) this.configs.clear();
    this.configs.set(orgId, config);
    return config;
  }
}

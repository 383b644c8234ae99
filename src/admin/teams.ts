/**
 * Teams: name, description, scopes (checked against the org's catalog and bounded by its
 * policy), device groups and manual members. Every edit is one transaction with its audit
 * event (before/after) and a bump of the org's access-config version, so every instance's
 * next decision uses it.
 */
import { randomUUID } from 'node:crypto';
import { recordAudit } from '../audit/audit-log.js';
import type { Actor } from '../domain/actor.js';
import { assertWithinPolicy, policyVerdict, type AccessPolicy } from '../access/policy.js';
import { expandGrant, validateGrant } from '../access/scope.js';
import { InvalidInputError, NotFoundError } from '../domain/errors/index.js';
import type { MembershipSource, Team } from '../domain/team.js';
import { nowIso } from '../domain/clock.js';
import type { Repositories, Store } from '../store/store.js';
import { loadPolicy } from './policy.js';

export interface TeamInput {
  readonly name?: string;
  readonly description?: string | null;
  readonly scopes?: readonly string[];
  readonly deviceGroups?: readonly string[];
}

export interface TeamDetail extends Team {
  readonly scopes: readonly string[];
  readonly deviceGroups: readonly string[];
  readonly members: { readonly idp: number; readonly manual: number };
  /** Scopes of the team the org policy does not let through (granted, but suppressed at evaluation), and why. */
  readonly suppressed: ReadonlyArray<{ readonly scope: string; readonly reason: string }>;
}

/** The team's grants the policy suppresses, each with the policy's reason. */
function suppressedBy(policy: AccessPolicy, grants: readonly string[]): Array<{ scope: string; reason: string }> {
  const out: Array<{ scope: string; reason: string }> = [];
  for (const grant of grants) {
    for (const scope of expandGrant(policy.catalog, grant)) {
      const verdict = policyVerdict(policy, scope);
      if (!verdict.permitted) out.push({ scope, reason: verdict.reason });
    }
  }
  return out;
}

const DEVICE_GROUP = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

function cleanName(name: string): string {
  const trimmed = name.trim();
  if (trimmed.length === 0 || trimmed.length > 200) {
    throw new InvalidInputError('team.invalid_name', 'A team name is 1 to 200 characters');
  }
  return trimmed;
}

function cleanDeviceGroups(groups: readonly string[]): string[] {
  for (const g of groups) {
    if (!DEVICE_GROUP.test(g)) {
      throw new InvalidInputError(
        'team.invalid_device_group',
        `${JSON.stringify(g)} is not a device group name (letters, digits, ".", "_" and "-")`,
      );
    }
  }
  return [...new Set(groups)].sort();
}

/** A team of the org by id or (case-insensitive) name. */
export async function resolveTeam(repos: Repositories, orgId: string, idOrName: string): Promise<Team> {
  const team = (await repos.teams.get(orgId, idOrName)) ?? (await repos.teams.findByName(orgId, idOrName));
  if (!team) throw new NotFoundError('team', idOrName);
  return team;
}

export class TeamService {
  constructor(private readonly store: Store) {}

  async list(orgId: string): Promise<TeamDetail[]> {
    const repos = this.store.repos;
    const [teams, counts, policy] = await Promise.all([
      repos.teams.list(orgId),
      repos.teams.memberCounts(orgId),
      loadPolicy(repos, orgId),
    ]);
    return Promise.all(teams.map(async (t) => this.detail(repos, t, counts.get(t.id), policy)));
  }

  async get(orgId: string, idOrName: string): Promise<TeamDetail> {
    const repos = this.store.repos;
    const team = await resolveTeam(repos, orgId, idOrName);
    const [counts, policy] = await Promise.all([repos.teams.memberCounts(orgId), loadPolicy(repos, orgId)]);
    return this.detail(repos, team, counts.get(team.id), policy);
  }

  /** The team with its members (the first `limit` by userName), as the console shows it. */
  async withMembers(
    orgId: string,
    idOrName: string,
    limit: number,
  ): Promise<TeamDetail & { memberList: Array<{ userId: string; userName: string; source: MembershipSource }> }> {
    const team = await this.get(orgId, idOrName);
    return { ...team, memberList: await this.store.repos.teams.members(orgId, team.id, limit) };
  }

  private async detail(
    repos: Repositories,
    team: Team,
    counts: { idp: number; manual: number } | undefined,
    policy?: AccessPolicy,
  ): Promise<TeamDetail> {
    const [scopes, deviceGroups] = await Promise.all([
      repos.teams.scopes(team.orgId, team.id),
      repos.teams.deviceGroups(team.orgId, team.id),
    ]);
    return {
      ...team,
      scopes,
      deviceGroups,
      members: counts ?? { idp: 0, manual: 0 },
      suppressed: policy ? suppressedBy(policy, scopes) : [],
    };
  }

  async create(orgId: string, input: TeamInput & { name: string }, actor: Actor): Promise<TeamDetail> {
    return this.store.transaction(async (repos) => {
      const at = nowIso();
      const team: Team = {
        id: randomUUID(),
        orgId,
        name: cleanName(input.name),
        description: input.description ?? null,
        version: 1,
        createdAt: at,
        updatedAt: at,
      };
      const scopes = await this.checkedScopes(repos, orgId, input.scopes ?? [], `Team ${JSON.stringify(team.name)}`);
      const deviceGroups = cleanDeviceGroups(input.deviceGroups ?? []);
      await repos.teams.insert(team);
      await repos.teams.setScopes(orgId, team.id, scopes);
      await repos.teams.setDeviceGroups(orgId, team.id, deviceGroups);
      await repos.accessFacts.bumpConfigVersion(orgId);
      await recordAudit(repos, orgId, actor, {
        action: 'team.created',
        target: { type: 'team', id: team.id, label: team.name },
        data: { after: { name: team.name, description: team.description, scopes, deviceGroups } },
      });
      // Grants beyond the policy are refused above: nothing is suppressed.
      return { ...team, scopes, deviceGroups, members: { idp: 0, manual: 0 }, suppressed: [] };
    });
  }

  /** Changes what is given; `scopes`/`deviceGroups` replace the team's lists. */
  async update(orgId: string, idOrName: string, input: TeamInput, actor: Actor): Promise<TeamDetail> {
    return this.store.transaction(async (repos) => {
      const current = await resolveTeam(repos, orgId, idOrName);
      const before = await this.detail(repos, current, undefined);
      const next: Team = {
        ...current,
        name: input.name !== undefined ? cleanName(input.name) : current.name,
        description: input.description !== undefined ? input.description : current.description,
        version: current.version + 1,
        updatedAt: nowIso(),
      };
      const scopes =
        input.scopes !== undefined
          ? await this.checkedScopes(repos, orgId, input.scopes, `Team ${JSON.stringify(next.name)}`)
          : before.scopes;
      const deviceGroups =
        input.deviceGroups !== undefined ? cleanDeviceGroups(input.deviceGroups) : before.deviceGroups;
      await repos.teams.update(next);
      if (input.scopes !== undefined) await repos.teams.setScopes(orgId, next.id, scopes);
      if (input.deviceGroups !== undefined) await repos.teams.setDeviceGroups(orgId, next.id, deviceGroups);
      await repos.accessFacts.bumpConfigVersion(orgId);
      await recordAudit(repos, orgId, actor, {
        action: 'team.updated',
        target: { type: 'team', id: next.id, label: next.name },
        data: {
          before: {
            name: before.name,
            description: before.description,
            scopes: before.scopes,
            deviceGroups: before.deviceGroups,
          },
          after: { name: next.name, description: next.description, scopes, deviceGroups },
        },
      });
      return { ...next, scopes, deviceGroups, members: before.members, suppressed: [] };
    });
  }

  async addScopes(orgId: string, idOrName: string, scopes: readonly string[], actor: Actor): Promise<TeamDetail> {
    const current = await this.get(orgId, idOrName);
    return this.update(orgId, current.id, { scopes: [...current.scopes, ...scopes] }, actor);
  }

  async removeScopes(orgId: string, idOrName: string, scopes: readonly string[], actor: Actor): Promise<TeamDetail> {
    const current = await this.get(orgId, idOrName);
    return this.update(orgId, current.id, { scopes: current.scopes.filter((s) => !scopes.includes(s)) }, actor);
  }

  async addDeviceGroups(orgId: string, idOrName: string, groups: readonly string[], actor: Actor): Promise<TeamDetail> {
    const current = await this.get(orgId, idOrName);
    return this.update(orgId, current.id, { deviceGroups: [...current.deviceGroups, ...groups] }, actor);
  }

  async removeDeviceGroups(
    orgId: string,
    idOrName: string,
    groups: readonly string[],
    actor: Actor,
  ): Promise<TeamDetail> {
    const current = await this.get(orgId, idOrName);
    return this.update(
      orgId,
      current.id,
      { deviceGroups: current.deviceGroups.filter((g) => !groups.includes(g)) },
      actor,
    );
  }

  async delete(orgId: string, idOrName: string, actor: Actor): Promise<Team> {
    return this.store.transaction(async (repos) => {
      const team = await resolveTeam(repos, orgId, idOrName);
      const before = await this.detail(repos, team, undefined);
      await repos.teams.delete(orgId, team.id);
      await repos.accessFacts.bumpConfigVersion(orgId);
      await recordAudit(repos, orgId, actor, {
        action: 'team.deleted',
        target: { type: 'team', id: team.id, label: team.name },
        data: { before: { name: team.name, scopes: before.scopes, deviceGroups: before.deviceGroups } },
      });
      return team;
    });
  }

  /** Adds a `manual` member (kept whatever the mappings say); the user is named by id or userName. */
  async addMember(
    orgId: string,
    idOrName: string,
    user: string,
    actor: Actor,
  ): Promise<{ teamId: string; userId: string }> {
    return this.store.transaction(async (repos) => {
      const team = await resolveTeam(repos, orgId, idOrName);
      const found = (await repos.users.get(orgId, user)) ?? (await repos.users.findByUserName(orgId, user));
      if (!found) throw new NotFoundError('user', user);
      await repos.teams.addMember(orgId, team.id, found.id, 'manual', nowIso());
      await repos.accessChanges.announce(orgId, [found.id]);
      repos.accessChanges.touch(orgId, [found.id]);
      await recordAudit(repos, orgId, actor, {
        action: 'team.member_added',
        target: { type: 'team', id: team.id, label: team.name },
        data: { userId: found.id, userName: found.userName, source: 'manual' },
      });
      return { teamId: team.id, userId: found.id };
    });
  }

  /** Removes a `manual` membership; memberships that come from mappings follow the IdP. */
  async removeMember(orgId: string, idOrName: string, user: string, actor: Actor): Promise<boolean> {
    return this.store.transaction(async (repos) => {
      const team = await resolveTeam(repos, orgId, idOrName);
      const found = (await repos.users.get(orgId, user)) ?? (await repos.users.findByUserName(orgId, user));
      if (!found) throw new NotFoundError('user', user);
      const removed = await repos.teams.removeMember(orgId, team.id, found.id, 'manual');
      if (removed) {
        await repos.accessChanges.announce(orgId, [found.id]);
        repos.accessChanges.touch(orgId, [found.id]);
        await recordAudit(repos, orgId, actor, {
          action: 'team.member_removed',
          target: { type: 'team', id: team.id, label: team.name },
          data: { userId: found.id, userName: found.userName, source: 'manual' },
        });
      }
      return removed;
    });
  }

  private async checkedScopes(
    repos: Repositories,
    orgId: string,
    scopes: readonly string[],
    what: string,
  ): Promise<string[]> {
    const policy = await loadPolicy(repos, orgId);
    const valid = [...new Set(scopes.map((s) => validateGrant(policy.catalog, s.trim())))].sort();
    assertWithinPolicy(policy, valid, what);
    return valid;
  }
}

/** One user's access before and after a change (a mapping, the policy), and what they gain and lose. */
import type { EffectiveAccess } from '../access/effective-access.js';

export interface AccessSummary {
  readonly member: boolean;
  readonly role: string;
  readonly teams: readonly string[];
  readonly scopes: readonly string[];
  /** `group: action` for each device group the user may act on. */
  readonly deviceGroups: readonly string[];
}

export interface AccessDelta {
  readonly teams: readonly string[];
  readonly scopes: readonly string[];
  readonly deviceGroups: readonly string[];
}

export interface UserAccessDiff {
  readonly userId: string;
  readonly userName: string;
  readonly before: AccessSummary;
  readonly after: AccessSummary;
  readonly gains: AccessDelta;
  readonly losses: AccessDelta;
  readonly changed: boolean;
}

export function summary(a: EffectiveAccess): AccessSummary {
  return {
    member: a.member,
    role: a.role,
    teams: a.teams.map((t) => t.name).sort(),
    scopes: [...a.scopes].sort(),
    deviceGroups: a.deviceGroups.flatMap((d) => d.actions.map((action) => `${d.name}: ${action}`)).sort(),
  };
}

const minus = (a: readonly string[], b: readonly string[]): string[] => a.filter((x) => !b.includes(x));

/** The difference between two summaries of one user's access. */
export function accessDiff(
  userId: string,
  userName: string,
  before: AccessSummary,
  after: AccessSummary,
): UserAccessDiff {
  const delta = (x: AccessSummary, y: AccessSummary): AccessDelta => ({
    teams: minus(x.teams, y.teams),
    scopes: minus(x.scopes, y.scopes),
    deviceGroups: minus(x.deviceGroups, y.deviceGroups),
  });
  const gains = delta(after, before);
  const losses = delta(before, after);
  const size = (d: AccessDelta): number => d.teams.length + d.scopes.length + d.deviceGroups.length;
  const changed = size(gains) + size(losses) > 0 || after.role !== before.role || after.member !== before.member;
  return { userId, userName, before, after, gains, losses, changed };
}

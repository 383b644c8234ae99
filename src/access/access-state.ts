/**
 * A user's effective access reduced to what a change of it is told in: active, member,
 * role, teams, org-wide scopes and device-group rights. Recorded per user
 * (`user_access_states`), it is the "before" of the next change; two states compare into
 * the diff an access-history entry and an `access.changed` event carry.
 */
import type { Role } from '../domain/role.js';
import type { EffectiveAccess } from './effective-access.js';

export interface AccessState {
  readonly active: boolean;
  readonly member: boolean;
  readonly role: Role;
  /** Team id → name. */
  readonly teams: Readonly<Record<string, string>>;
  readonly scopes: readonly string[];
  /** `devices:<action>` on a device group, as "group\u0000scope" (sorted). */
  readonly deviceRights: readonly string[];
}

/** A user with no recorded state: active, holding nothing. */
export const NO_ACCESS: AccessState = {
  active: true,
  member: false,
  role: 'User',
  teams: {},
  scopes: [],
  deviceRights: [],
};

/**
 * A deactivated user's state, whatever their groups, teams and the org's policy: an
 * inactive user is no member, so holds no team, scope or device right (effective-access.ts).
 */
export const INACTIVE: AccessState = {
  active: false,
  member: false,
  role: 'User',
  teams: {},
  scopes: [],
  deviceRights: [],
};

export interface DeviceRight {
  readonly deviceGroup: string;
  readonly scope: string;
}

export interface AccessDiff {
  readonly active?: { readonly from: boolean; readonly to: boolean };
  readonly member?: { readonly from: boolean; readonly to: boolean };
  readonly role?: { readonly from: Role; readonly to: Role };
  readonly teams?: {
    readonly gained: ReadonlyArray<{ id: string; name: string }>;
    readonly lost: ReadonlyArray<{ id: string; name: string }>;
  };
  readonly scopes?: { readonly gained: readonly string[]; readonly lost: readonly string[] };
  readonly deviceRights?: { readonly gained: readonly DeviceRight[]; readonly lost: readonly DeviceRight[] };
  /** The user was deleted: everything they held is lost. */
  readonly deleted?: true;
}

const SEP = '\u0000';

export function accessStateOf(access: EffectiveAccess): AccessState {
  const teams: Record<string, string> = {};
  if (access.member) for (const t of access.teams) teams[t.id] = t.name;
  const deviceRights: string[] = [];
  for (const g of access.deviceGroups) for (const a of g.actions) deviceRights.push(`${g.name}${SEP}devices:${a}`);
  return {
    active: access.active,
    member: access.member,
    role: access.member ? access.role : 'User',
    teams,
    scopes: access.member ? [...access.scopes] : [],
    deviceRights: deviceRights.sort(),
  };
}

/** Compact JSON for the state column (the same state always gives the same text). */
export function serializeState(state: AccessState): string {
  const teams = Object.keys(state.teams)
    .sort()
    .map((id) => [id, state.teams[id]]);
  return JSON.stringify([
    state.active ? 1 : 0,
    state.member ? 1 : 0,
    state.role,
    teams,
    state.scopes,
    state.deviceRights,
  ]);
}

export function parseState(text: string): AccessState {
  const [active, member, role, teams, scopes, deviceRights] = JSON.parse(text) as [
    number,
    number,
    Role,
    Array<[string, string]>,
    string[],
    string[],
  ];
  return { active: active === 1, member: member === 1, role, teams: Object.fromEntries(teams), scopes, deviceRights };
}

function setDiff<T>(before: readonly T[], after: readonly T[]): { gained: T[]; lost: T[] } {
  const b = new Set(before);
  const a = new Set(after);
  return { gained: after.filter((x) => !b.has(x)), lost: before.filter((x) => !a.has(x)) };
}

const right = (s: string): DeviceRight => {
  const i = s.indexOf(SEP);
  return { deviceGroup: s.slice(0, i), scope: s.slice(i + 1) };
};

/** What changed from `before` to `after` (`after` null: the user was deleted); null when nothing did. */
export function diffAccess(before: AccessState, after: AccessState | null): AccessDiff | null {
  const target = after ?? { ...NO_ACCESS, active: before.active };
  const diff: {
    -readonly [K in keyof AccessDiff]: AccessDiff[K];
  } = {};
  if (before.active !== target.active) diff.active = { from: before.active, to: target.active };
  if (before.member !== target.member) diff.member = { from: before.member, to: target.member };
  if (before.role !== target.role) diff.role = { from: before.role, to: target.role };
  const teams = setDiff(Object.keys(before.teams), Object.keys(target.teams));
  if (teams.gained.length || teams.lost.length) {
    diff.teams = {
      gained: teams.gained.map((id) => ({ id, name: target.teams[id]! })),
      lost: teams.lost.map((id) => ({ id, name: before.teams[id]! })),
    };
  }
  const scopes = setDiff(before.scopes, target.scopes);
  if (scopes.gained.length || scopes.lost.length) diff.scopes = scopes;
  const rights = setDiff(before.deviceRights, target.deviceRights);
  if (rights.gained.length || rights.lost.length) {
    diff.deviceRights = { gained: rights.gained.map(right), lost: rights.lost.map(right) };
  }
  if (after === null) diff.deleted = true;
  return Object.keys(diff).length > 0 ? diff : null;
}

/** The diff in words, most telling first ("lost devices:read-update on test-lab-devices"). */
export function describeDiff(diff: AccessDiff): string[] {
  const out: string[] = [];
  if (diff.deleted) out.push('was deleted');
  if (diff.active) out.push(diff.active.to ? 'was reactivated' : 'was deactivated');
  if (diff.member) out.push(diff.member.to ? 'became a member of the org' : 'stopped being a member of the org');
  if (diff.role) out.push(`role ${diff.role.from} → ${diff.role.to}`);
  for (const t of diff.teams?.gained ?? []) out.push(`joined team ${t.name}`);
  for (const t of diff.teams?.lost ?? []) out.push(`left team ${t.name}`);
  if (diff.scopes?.gained.length) out.push(`gained ${diff.scopes.gained.join(', ')}`);
  if (diff.scopes?.lost.length) out.push(`lost ${diff.scopes.lost.join(', ')}`);
  const byGroup = (rights: readonly DeviceRight[], verb: string): void => {
    const groups = new Map<string, string[]>();
    for (const r of rights) groups.set(r.deviceGroup, [...(groups.get(r.deviceGroup) ?? []), r.scope]);
    for (const [group, scopes] of groups) out.push(`${verb} ${scopes.join(', ')} on ${group}`);
  };
  byGroup(diff.deviceRights?.gained ?? [], 'gained');
  byGroup(diff.deviceRights?.lost ?? [], 'lost');
  return out;
}

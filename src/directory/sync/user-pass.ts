/**
 * The users of a directory sync run, in three steps over the directory's pages:
 * 1. plan: who would be deprovisioned (suspended or archived in the directory, or gone from
 *    it), without writing anything, so the guard can hold the run first;
 * 2. deprovision: deactivate those (and delete those gone longer than the grace period)
 *    before anything is granted, so a run stopped halfway never leaves extra access behind;
 * 3. provision: create the new users (a page per transaction), update the changed ones
 *    (reactivations included), and learn each directory id's user for the memberships.
 * A user the connection already holds is matched by the directory's id, else adopted by
 * userName (people who signed in before the first sync).
 */
import type { DirectoryUser, UserInput } from '../../domain/directory.js';
import type { SourceUser } from '../../domain/directory-source.js';
import { ConflictError, InvalidInputError, NotFoundError } from '../../domain/errors/index.js';
import { foldCase } from '../../domain/directory.js';
import type { SyncContext } from './sync-context.js';
import { differs, inputOf } from './user-comparison.js';

const DAY_MS = 24 * 60 * 60 * 1000;
/** How many of those to be deprovisioned the plan names (the rest are counted). */
const NAMED = 100;

export interface DeprovisioningPlan {
  /** Active here, suspended or archived in the directory. */
  readonly suspended: string[];
  /** Active here, gone from the directory. */
  readonly gone: string[];
  /** Gone longer than the grace period: deleted. */
  readonly expired: string[];
  /** Inactive and gone, not yet marked as gone (no access changes). */
  readonly unmarked: string[];
  /** Marked as gone, back in the directory. */
  readonly back: string[];
  readonly named: Array<{ id: string; userName: string; action: 'deactivate' | 'delete' }>;
  /** Users the connection holds (the guard's base). */
  readonly connectionUsers: number;
}

export function deprovisionings(plan: DeprovisioningPlan): number {
  return plan.suspended.length + plan.gone.length + plan.expired.length;
}

/**
 * Whether a user of the connection that a directory user's userName names may be adopted
 * by it: only one the directory does not know under another id (signed in before the first
 * sync, or pushed without the directory's id). A userName that changed hands in the
 * directory is never adopted: the new holder gets a new user.
 */
function adoptable(ctx: SyncContext, existing: DirectoryUser, sourceIds: ReadonlySet<string>): boolean {
  return (
    existing.connectionId === ctx.scope.connectionId &&
    (existing.externalId === null || !sourceIds.has(existing.externalId))
  );
}

/** The connection's users a page of the directory names: by directory id, else by userName (adopted). */
async function matches(
  ctx: SyncContext,
  page: readonly SourceUser[],
  sourceIds: ReadonlySet<string>,
): Promise<Map<SourceUser, DirectoryUser>> {
  const { orgId, connectionId } = ctx.scope;
  const byExternal = await ctx.store.repos.users.findManyByExternalId(
    orgId,
    connectionId,
    page.map((u) => u.externalId),
  );
  const found = new Map<SourceUser, DirectoryUser>();
  const unmatched: SourceUser[] = [];
  for (const u of page) {
    const existing = byExternal.get(u.externalId);
    if (existing) found.set(u, existing);
    else unmatched.push(u);
  }
  if (unmatched.length > 0) {
    const byName = await ctx.store.repos.users.findManyByUserName(
      orgId,
      unmatched.map((u) => u.input.userName),
    );
    for (const u of unmatched) {
      const existing = byName.get(foldCase(u.input.userName));
      if (existing && adoptable(ctx, existing, sourceIds)) found.set(u, existing);
    }
  }
  return found;
}

export async function planUsers(ctx: SyncContext): Promise<DeprovisioningPlan & { sourceIds: Set<string> }> {
  const { orgId, connectionId } = ctx.scope;
  const sourceIds = new Set<string>();
  const seen = new Set<string>();
  const suspended: string[] = [];
  const named: DeprovisioningPlan['named'] = [];
  const consider = (existing: { id: string; userName: string; active: boolean }, active: boolean): void => {
    seen.add(existing.id);
    if (existing.active && !active) {
      suspended.push(existing.id);
      if (named.length < NAMED) named.push({ id: existing.id, userName: existing.userName, action: 'deactivate' });
    }
  };
  /** Directory users no id matched yet, by folded userName → whether the directory has them active. */
  const unmatched = new Map<string, boolean>();
  let done = 0;
  for await (const page of ctx.source.userStates()) {
    for (const u of page) sourceIds.add(u.externalId);
    const byExternal = await ctx.store.repos.users.rowsByExternalId(
      orgId,
      connectionId,
      page.map((u) => u.externalId),
    );
    for (const u of page) {
      const existing = byExternal.get(u.externalId);
      if (existing) consider(existing, u.active);
      else unmatched.set(foldCase(u.userName), u.active);
    }
    done += page.length;
    await ctx.step({ phase: 'planning', done });
  }
  // Adoptions are known only once every directory id has been seen.
  const names = [...unmatched.keys()];
  for (let i = 0; i < names.length; i += 500) {
    const byName = await ctx.store.repos.users.findManyByUserName(orgId, names.slice(i, i + 500));
    for (const [name, existing] of byName) {
      if (adoptable(ctx, existing, sourceIds)) consider(existing, unmatched.get(name)!);
    }
  }
  unmatched.clear();
  const gone: string[] = [];
  const expired: string[] = [];
  const unmarked: string[] = [];
  const back: string[] = [];
  const graceMs = ctx.deleteAfterDays * DAY_MS;
  let connectionUsers = 0;
  for (let after = ''; ;) {
    const rows = await ctx.store.repos.users.connectionUserPage(orgId, connectionId, after, 1000);
    if (rows.length === 0) break;
    after = rows[rows.length - 1]!.id;
    connectionUsers += rows.length;
    for (const row of rows) {
      if (seen.has(row.id)) {
        if (row.syncMissingSince !== null) back.push(row.id);
        continue;
      }
      if (row.active) {
        gone.push(row.id);
        if (named.length < NAMED) named.push({ id: row.id, userName: row.userName, action: 'deactivate' });
      } else if (row.syncMissingSince === null) {
        unmarked.push(row.id);
      } else if (Date.now() - Date.parse(row.syncMissingSince) >= graceMs) {
        expired.push(row.id);
        if (named.length < NAMED) named.push({ id: row.id, userName: row.userName, action: 'delete' });
      }
    }
  }
  return { suspended, gone, expired, unmarked, back, named, connectionUsers, sourceIds };
}

/** Deactivates and deletes what the plan says, each through the user directory (audit, sessions, access). */
export async function deprovision(ctx: SyncContext, plan: DeprovisioningPlan): Promise<void> {
  const { orgId } = ctx.scope;
  const now = new Date().toISOString();
  let done = 0;
  const deactivate = async (id: string): Promise<void> => {
    try {
      const before = await ctx.users.get(ctx.scope, id);
      if (!before.active) return;
      await ctx.users.update(ctx.scope, id, (current) => ({ ...inputOf(current), active: false }), {}, ctx.actor);
      ctx.counts.usersDeactivated++;
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
    }
  };
  for (const id of plan.suspended) {
    await deactivate(id);
    if (++done % 100 === 0) await ctx.step({ phase: 'deprovisioning', done });
  }
  for (const id of plan.gone) {
    await deactivate(id);
    if (++done % 100 === 0) await ctx.step({ phase: 'deprovisioning', done });
  }
  await ctx.store.repos.users.setSyncMissingSince(orgId, [...plan.gone, ...plan.unmarked], now);
  for (const id of plan.expired) {
    try {
      await ctx.users.delete(ctx.scope, id, {}, ctx.actor);
      ctx.counts.usersDeleted++;
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
    }
    if (++done % 100 === 0) await ctx.step({ phase: 'deprovisioning', done });
  }
  await ctx.store.repos.users.setSyncMissingSince(orgId, plan.back, null);
}

function refusal(ctx: SyncContext, input: UserInput, error: Error): void {
  ctx.counts.usersSkipped++;
  if (ctx.refusals.length < 20) ctx.refusals.push(`${input.userName}: ${error.message}`);
}

/**
 * Creates the directory's new users and updates the changed ones; returns each directory
 * id's user id (what the memberships are written with).
 */
export async function provisionUsers(ctx: SyncContext, sourceIds: ReadonlySet<string>): Promise<Map<string, string>> {
  const idOf = new Map<string, string>();
  let done = 0;
  let pages = 0;
  for await (const page of ctx.source.users()) {
    const found = await matches(ctx, page, sourceIds);
    const fresh: UserInput[] = [];
    for (const u of page) {
      const existing = found.get(u);
      if (!existing) {
        fresh.push(u.input);
        continue;
      }
      idOf.set(u.externalId, existing.id);
      if (!differs(existing, u.input)) continue;
      try {
        await ctx.users.update(ctx.scope, existing.id, () => u.input, {}, ctx.actor);
        if (!existing.active && u.input.active) ctx.counts.usersReactivated++;
        else if (existing.active && !u.input.active) ctx.counts.usersDeactivated++;
        else ctx.counts.usersUpdated++;
      } catch (error) {
        if (!(error instanceof ConflictError || error instanceof InvalidInputError)) throw error;
        refusal(ctx, u.input, error);
      }
    }
    if (fresh.length > 0) {
      const { created, refused } = await ctx.users.createMany(ctx.scope, fresh, ctx.actor);
      for (const user of created) idOf.set(user.externalId!, user.id);
      ctx.counts.usersCreated += created.length;
      for (const r of refused) refusal(ctx, r.input, r.error);
    }
    done += page.length;
    // A first run grows the tables from nothing: keep the planner's picture of them current.
    if (++pages % 10 === 0) await ctx.store.refreshStatistics();
    await ctx.step({ phase: 'users', done });
  }
  return idOf;
}

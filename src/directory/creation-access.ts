/**
 * Whether a user the IdP creates has access at once: true in orgs whose policy makes every
 * provisioned user a member. Such a creation is recorded in the user's access history
 * (the write takes its transaction path); elsewhere a new user is in no group and holds
 * nothing, and the create stays one statement. Read per org at most every few seconds.
 */
import type { Store } from '../store/store.js';

const FRESH_MS = 5_000;
const MAX_ORGS = 10_000;

export class CreationAccess {
  private readonly known = new Map<string, { grants: boolean; until: number }>();

  constructor(private readonly store: Store) {}

  async grantsAccess(orgId: string): Promise<boolean> {
    const hit = this.known.get(orgId);
    if (hit && hit.until > Date.now()) return hit.grants;
    const policy = await this.store.repos.policies.get(orgId);
    const grants = policy?.membership === 'all_provisioned';
    if (this.known.size >= MAX_ORGS) this.known.clear();
    this.known.set(orgId, { grants, until: Date.now() + FRESH_MS });
    return grants;
  }
}

/** Admin API tokens of an org, for automation (the admin REST API authenticates them). */
import { randomUUID } from 'node:crypto';
import { recordAudit } from '../audit/audit-log.js';
import type { Actor } from '../audit/actor.js';
import { UnauthenticatedError } from '../domain/errors/index.js';
import type { Role } from '../domain/role.js';
import { issueToken, tokenMatches, tokenPrefix } from '../domain/secret-token.js';
import { nowIso } from '../store/rows.js';
import type { Store } from '../store/store.js';
import { VerifiedTokenCache } from './verified-token-cache.js';

export interface AdminPrincipal {
  readonly orgId: string;
  readonly tokenId: string;
  readonly role: Role;
}

export class AdminTokenService {
  private readonly verified = new VerifiedTokenCache<AdminPrincipal>();

  constructor(private readonly store: Store) {}

  async issue(
    orgId: string,
    actor: Actor,
    options: { role?: Role; description?: string | null; expiresAt?: string | null } = {},
  ): Promise<{ id: string; token: string }> {
    return this.store.transaction(async (repos) => {
      const issued = issueToken('ibadm');
      const id = randomUUID();
      const role = options.role ?? 'Admin';
      await repos.adminTokens.insert({
        id,
        orgId,
        prefix: issued.prefix,
        tokenHash: issued.hash,
        description: options.description ?? null,
        role,
        createdAt: nowIso(),
        expiresAt: options.expiresAt ?? null,
        lastUsedAt: null,
        revokedAt: null,
      });
      await recordAudit(repos, orgId, actor, {
        action: 'admin_token.issued',
        target: { type: 'admin_token', id, label: issued.prefix },
        data: { role },
      });
      return { id, token: issued.token };
    });
  }

  async authenticate(token: string): Promise<AdminPrincipal> {
    const prefix = tokenPrefix(token, 'ibadm');
    if (!prefix) throw new UnauthenticatedError();
    const cached = this.verified.get(token);
    if (cached) return cached;
    const stored = await this.store.repos.adminTokens.findByPrefix(prefix);
    const now = nowIso();
    if (
      !stored ||
      !tokenMatches(token, stored.tokenHash) ||
      stored.revokedAt !== null ||
      (stored.expiresAt !== null && stored.expiresAt <= now)
    ) {
      throw new UnauthenticatedError();
    }
    const principal: AdminPrincipal = { orgId: stored.orgId, tokenId: stored.id, role: stored.role as Role };
    this.verified.remember(token, principal);
    return principal;
  }
}
